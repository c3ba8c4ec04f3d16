// The 400 headline is taken from the first field message, however the errors nest: lists of
// messages, lists of lists (an invalid element in an array of ids) and nested maps. A tree of
// strings must never be walked character by character (it overflowed the stack: a 500).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createOrg, type TestOrg } from '../support/identity.ts';

let t: TestApp;
let org: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Field Error Headline Org');
});
afterAll(() => t?.close());

const post = (url: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers: { authorization: `Token ${org.users.admin.token}` } });

describe('a 400 for an invalid element of an array', () => {
  it('names the field, never a 500', async () => {
    for (const permissions of [[{}], [[1]], [null], [true]]) {
      const res = await post('/api/permissions/roles/', { name: `Odd ${Math.random()}`, permissions });
      expect(res.statusCode, res.body).toBe(400);
      const body = res.json();
      expect(body.permissions, res.body).toBeDefined();
      expect(body.detail).toMatch(/^permissions: /);
    }
  });

  it('headlines a nested map with its path', async () => {
    const res = await post('/api/deals/deals/', { client_id: 'x', deal_name: 'n', deal_value: '10', payments: [{ received_amount: 'abc' }] });
    expect(res.statusCode, res.body).toBe(400);
    expect(typeof res.json().detail).toBe('string');
  });
});
