// Shared helpers of the sales suites: HTTP calls with a token, database reads in system
// scope, error-body checks, extra signed-in users.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { SQL } from 'drizzle-orm';
import { rows } from '../../src/core/db/database.ts';
import type { TestApp } from '../support/app.ts';
import { auth, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Answer {
  statusCode: number;
  body: string;
  headers: Record<string, unknown>;
  json(): Record<string, unknown> & { results?: Record<string, unknown>[] };
}

export function harness(t: TestApp) {
  const call = async (method: Method, url: string, token?: string, payload?: object): Promise<Answer> =>
    t.app.inject({ method, url, headers: token ? { ...auth(token), 'content-type': 'application/json' } : {}, ...(payload ? { payload } : {}) });
  const q = <T = Record<string, unknown>>(query: SQL) => t.db.system((tx) => rows<T>(tx, query));
  /** A fresh member of an organisation with the given role, signed in. */
  const freshUser = async (org: TestOrg, role: string | null, firstName = 'Fresh'): Promise<TestUser> => {
    const tag = (role ?? 'norole').toLowerCase().replace(/\s+/g, '-');
    const roleId = role ? org.roles.get(role) : undefined;
    const u = await insertTestUser(t, { orgId: org.id, ...(roleId ? { roleId } : {}), firstName, email: `${tag}-${randomBytes(4).toString('hex')}@example.test` });
    return login(t, u.email);
  };
  return { call, q, freshUser };
}

/** A documented error body: detail, code, message (= detail) and the request id. */
export function expectError(res: Answer, status: number, code?: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body.detail).toEqual(expect.any(String));
  expect(body.message).toBe(body.detail);
  expect(body.request_id).toBe(res.headers['x-request-id']);
  if (code) expect(body.code).toBe(code);
  return body;
}

/** A 400 carrying DRF-style messages for each of `fields`. */
export function expectFieldErrors(res: Answer, ...fields: string[]) {
  const body = expectError(res, 400);
  for (const field of fields) expect(body[field], `${field} in ${res.body}`).toEqual(expect.arrayContaining([expect.any(String)]));
  return body;
}

/** A 409 for a value that must be unique, naming the field like a 400 would. */
export function expectDuplicate(res: Answer, field: string) {
  const body = expectError(res, 409, 'duplicate');
  expect(body[field], `${field} in ${res.body}`).toEqual([expect.any(String)]);
  return body;
}

export const hex = () => randomBytes(4).toString('hex');
/** A well-formed id that names no record (ids are bigint identity keys). */
export const FOREIGN_SHAPED_ID = '900000000001';
export { MALFORMED_IDS, wire, dbId as sid, wireId as expectWireId } from '../support/ids.ts';
