// Deletions answer 204 with no body, and the OpenAPI document says so (it claimed a 200: found by
// the fuzzer, issue 13).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';

let t: TestApp;
let org: TestOrg;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'No Content Org');
});
afterAll(() => t.close());

const DELETIONS = [
  '/api/deals/{id}/', '/api/deals/deals/{id}/', '/api/team/teams/{id}/', '/api/project/{id}/', '/api/project/projects/{id}/',
  '/api/permissions/roles/{id}/', '/api/organizations/{id}/', '/api/notifications/templates/{id}/', '/api/clients/{id}/',
];

describe('204 No Content', () => {
  it.each(DELETIONS)('DELETE %s is declared as 204, not 200', async (path) => {
    const doc = (await t.app.inject({ url: '/api/schema/' })).json();
    const success = Object.keys(doc.paths[path].delete.responses).filter((status) => status.startsWith('2'));
    expect(success).toEqual(['204']);
  });

  it('a deletion answers 204 with an empty body and removes the record', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/project/', headers: auth(org.users.admin.token), payload: { name: 'Short-lived' } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const res = await t.app.inject({ method: 'DELETE', url: `/api/project/${id}/`, headers: auth(org.users.admin.token) });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const left = await t.db.system((tx) => rows(tx, sql`SELECT 1 FROM projects WHERE id = ${id}`));
    expect(left).toEqual([]);
  });
});
