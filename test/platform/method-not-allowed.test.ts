// A known path asked with a method it does not support answers 405 with Allow (issue 13,
// defect 11); an unknown path stays a 404. Both in the app's error body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';

let t: TestApp;
let org: TestOrg;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Allow Org');
});
afterAll(() => t.close());

const ask = (method: string, url: string) =>
  t.app.inject({ method: method as 'GET', url, headers: auth(org.users.admin.token) });

describe('405 Method Not Allowed', () => {
  const cases: [string, string, string][] = [
    ['PUT', '/api/health/', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/api/clients/', 'GET, HEAD, OPTIONS, POST'],
    ['POST', '/api/clients/123/', 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT'],
    // Without the trailing slash, with doubled slashes: the same path to the router.
    ['POST', '/api/clients/123', 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT'],
    ['POST', '//api//clients//123/', 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT'],
    ['GET', '/api/auth/login/', 'OPTIONS, POST'],
  ];
  for (const [method, url, allow] of cases) {
    it(`answers ${method} ${url} with 405 and Allow: ${allow}`, async () => {
      const res = await ask(method, url);
      expect(res.statusCode, res.body).toBe(405);
      expect(res.headers.allow).toBe(allow);
      const body = res.json();
      expect(body).toMatchObject({ code: 'method_not_allowed', request_id: res.headers['x-request-id'] });
      expect(body.detail).toBe(body.message);
      expect(body.detail).toContain(method);
    });
  }

  it('lists exactly the methods the router then accepts on that path', async () => {
    const res = await ask('POST', '/api/health/');
    for (const method of res.headers.allow!.toString().split(', ').filter((m) => m !== 'OPTIONS')) {
      expect([404, 405]).not.toContain((await ask(method, '/api/health/')).statusCode);
    }
  });

  it('still answers an unknown path with 404, whatever the method', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await ask(method, '/api/does-not-exist/');
      expect(res.statusCode).toBe(404);
      expect(res.headers.allow).toBeUndefined();
      expect(res.json().code).toBe('not_found');
    }
    expect((await ask('DELETE', '/api/clients/1/extra/')).statusCode).toBe(404);
  });
});
