// Issue 13 (defects 1, 3, 4): hostile input is refused by the shared HTTP layer with a 400 naming
// the field, never a 500, and never leaves the process changed for the requests after it.
// 1. `__proto__` / `constructor` / `prototype` keys (multipart bracket names, JSON, query strings).
// 3. NUL characters in any text (body, query, path) and invalid UTF-8 in a JSON body.
// 4. JSON nested too deeply (or too large) for free-form fields.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import type { AppInstance } from '../../src/core/http/types.ts';
import { multipartPayload } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';

let t: TestApp;
let org: TestOrg;

/** A statement PostgreSQL refuses with 22021, past every request check: the error handler's safety net. */
async function probes(app: AppInstance) {
  app.get('/api/_probe/invalid-text/', { config: { auth: 'none' } }, async () =>
    app.db.system((tx) => rows(tx, sql`SELECT convert_from('\\xc328'::bytea, 'UTF8') AS t`)),
  );
}

beforeAll(async () => {
  t = await createTestApp({ plugins: [probes] });
  org = await createOrg(t, 'Hostile Input Org');
});
afterAll(async () => {
  // Should a run before the fix have polluted the prototype, leave the worker clean.
  for (const key of ['x', 'y', 'polluted']) delete (Object.prototype as Record<string, unknown>)[key];
  await t?.close();
});

const LIST_ROUTES = ['/api/clients/', '/api/deals/deals/', '/api/auth/users/', '/api/notifications/'];

async function expectProcessHealthy() {
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('x');
  expect(({} as Record<string, unknown>).x).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
  for (const url of LIST_ROUTES) {
    const res = await t.app.inject({ method: 'GET', url, headers: auth(org.users.admin.token) });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  }
  const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(metrics.statusCode, metrics.body).toBe(200);
  expect(metrics.body).toContain('prs_http_requests_total');
}

const json = (method: 'POST' | 'PATCH' | 'GET', url: string, payload: string | Buffer, token?: string) =>
  t.app.inject({ method, url, payload, headers: { 'content-type': 'application/json', ...(token ? auth(token) : {}) } });

/** The 400 names the field: as a key of the body (DRF shape) and in the headline. */
function expectFieldError(res: { statusCode: number; body: string; json: () => Record<string, unknown> }, field: string) {
  expect(res.statusCode, res.body).toBe(400);
  const body = res.json();
  expect(Object.prototype.hasOwnProperty.call(body, field), res.body).toBe(true);
  expect(String(body.detail), res.body).toContain(field);
}

describe('prototype keys (defect 1)', () => {
  it('a multipart login with a field `__proto__[x]` is a 400 and poisons nothing', async () => {
    const body = multipartPayload({ email: 'nobody@example.test', password: 'x', '__proto__[x]': 'y' });
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: body.payload, headers: body.headers });
    expectFieldError(res, '__proto__');
    await expectProcessHealthy();
  });

  it('constructor[prototype][x] and a nested prototype key in multipart are refused', async () => {
    for (const name of ['constructor[prototype][x]', 'a[b][__proto__][x]', 'prototype']) {
      const body = multipartPayload({ email: 'nobody@example.test', password: 'x', [name]: 'y' });
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: body.payload, headers: body.headers });
      expect(res.statusCode, `${name}: ${res.body}`).toBe(400);
      expect(res.json().code).toBe('validation_error');
    }
    await expectProcessHealthy();
  });

  it('a multipart name on a list (`a[0]` then `a[length]`) is a 400, not a 500', async () => {
    const body = multipartPayload({ email: 'nobody@example.test', password: 'x', 'a[0]': '1', 'a[length]': '-1' });
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: body.payload, headers: body.headers });
    expectFieldError(res, 'a[length]');
  });

  it('JSON bodies with __proto__ or constructor.prototype are a 400 naming the field', async () => {
    const login = await json('POST', '/api/auth/login/', '{"email":"a@b.test","password":"x","__proto__":{"x":1}}');
    expectFieldError(login, '__proto__');
    const ctor = await json('POST', '/api/auth/login/', '{"email":"a@b.test","password":"x","constructor":{"prototype":{"x":1}}}');
    expectFieldError(ctor, 'constructor');
    const nested = await json('PATCH', `/api/organizations/${org.id}/`, '{"settings":{"a":{"__proto__":{"x":1}}}}', org.users.admin.token);
    expect(nested.statusCode, nested.body).toBe(400);
    expect(nested.json().detail).toContain('settings.a.__proto__');
    await expectProcessHealthy();
  });

  it('query strings with __proto__ or constructor keys are a 400', async () => {
    for (const qs of ['__proto__=x', '__proto__=x&__proto__=y', 'constructor=x', 'prototype=1']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/clients/?${qs}`, headers: auth(org.users.admin.token) });
      expect(res.statusCode, `${qs}: ${res.body}`).toBe(400);
    }
    await expectProcessHealthy();
  });
});

describe('NUL characters and invalid UTF-8 (defect 3)', () => {
  it('a NUL in a JSON text field is a 400 naming the field', async () => {
    const res = await json('POST', '/api/clients/', JSON.stringify({ client_name: 'x\u0000y', email: 'nul@example.test', phone_number: '+9779800000000' }), org.users.admin.token);
    expectFieldError(res, 'client_name');
  });

  it('a NUL inside free-form JSON (settings, alert details) is a 400 naming the path', async () => {
    const settings = await json('PATCH', `/api/organizations/${org.id}/`, JSON.stringify({ settings: { note: 'a\u0000b' } }), org.users.admin.token);
    expect(settings.statusCode, settings.body).toBe(400);
    expect(settings.json().detail).toContain('settings.note');
    const key = await json('PATCH', `/api/organizations/${org.id}/`, JSON.stringify({ settings: { 'a\u0000': 1 } }), org.users.admin.token);
    expect(key.statusCode, key.body).toBe(400);
    const alert = await json('POST', '/api/notifications/security-alert/', JSON.stringify({ message: 'm', details: { list: ['ok', 'x\u0000'] } }), org.users.admin.token);
    expect(alert.statusCode, alert.body).toBe(400);
    expect(alert.json().detail).toContain('details.list: Null characters');
    expect(alert.json().details.list[1]).toEqual(['Null characters are not allowed.']);
  });

  it('a NUL in a query value or a path parameter is a 400', async () => {
    const search = await t.app.inject({ method: 'GET', url: '/api/clients/?search=%00', headers: auth(org.users.admin.token) });
    expectFieldError(search, 'search');
    const invoices = await t.app.inject({ method: 'GET', url: '/api/invoices/?search=a%00b', headers: auth(org.users.admin.token) });
    expect(invoices.statusCode, invoices.body).toBe(400);
    const path = await t.app.inject({ method: 'GET', url: '/api/clients/%00/', headers: auth(org.users.admin.token) });
    expect(path.statusCode, path.body).toBe(400);
  });

  it('a NUL in a multipart text field is a 400 naming the field', async () => {
    const body = multipartPayload({ email: 'nobody@example.test', password: 'x\u0000' });
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: body.payload, headers: body.headers });
    expectFieldError(res, 'password');
  });

  it('invalid UTF-8 in a JSON body is a 400, not stored as U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('{"client_name":"bad '), Buffer.from([0xc3, 0x28]), Buffer.from('","email":"utf@example.test","phone_number":"+9779800000001"}')]);
    const res = await json('POST', '/api/clients/', bytes, org.users.admin.token);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('parse_error');
    // Valid multi-byte text still goes through.
    const ok = await json('POST', '/api/clients/', Buffer.from(JSON.stringify({ client_name: 'Zoë – 東京', email: 'utf-ok@example.test', phone_number: '+9779800000002' })), org.users.admin.token);
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('a 22021 from the database that no check caught is a 400, not a 500', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/_probe/invalid-text/' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('bad_request');
  });
});

describe('deep and large JSON (defect 4)', () => {
  const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

  it('settings nested 10,000 levels is a 400 naming the problem', async () => {
    const res = await json('PATCH', `/api/organizations/${org.id}/`, `{"settings":${deep(10_000)}}`, org.users.admin.token);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().detail).toMatch(/nested/i);
    await expectProcessHealthy();
  });

  it('security-alert details nested 10,000 levels is a 400', async () => {
    const res = await json('POST', '/api/notifications/security-alert/', `{"message":"m","details":${deep(10_000)}}`, org.users.admin.token);
    expect(res.statusCode, res.body).toBe(400);
    const arrays = await json('POST', '/api/notifications/security-alert/', `{"message":"m","details":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`, org.users.admin.token);
    expect(arrays.statusCode, arrays.body).toBe(400);
  });

  it('moderate nesting still works', async () => {
    const res = await json('PATCH', `/api/organizations/${org.id}/`, `{"settings":${deep(10)}}`, org.users.admin.token);
    expect(res.statusCode, res.body).toBe(200);
  });

  it('a body with too many values is a 400', async () => {
    const res = await json('POST', '/api/notifications/security-alert/', JSON.stringify({ message: 'm', details: { a: new Array(200_001).fill(0) } }), org.users.admin.token);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().detail).toMatch(/too many/i);
  });
});
