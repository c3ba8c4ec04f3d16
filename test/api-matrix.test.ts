// Every documented route, generically: no token → 401; ids that do not exist here → never a
// success and never a 500; garbage bodies → a 4xx, never a 500; another organisation's records,
// named by their (guessable, integer) ids → 404, exactly as for an id nobody has, and nothing of
// theirs changes. The list comes from the OpenAPI document, so a new route is covered the day it
// is added.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../src/core/db/database.ts';
import { FOREIGN_SHAPED_ID } from './sales/helpers.ts';
import { createTestApp, type TestApp } from './support/app.ts';
import { auth, createOrg, createSuperAdmin, type TestOrg, type TestUser } from './support/identity.ts';
import { createClient, createDeal, today } from './support/sales.ts';

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
      const res = await t.app.inject({ method: op.method, url: fill(op.path, () => FOREIGN_SHAPED_ID), payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {} });
      if (res.statusCode !== 401) failures.push(`${op.method} ${op.path} → ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('never succeeds or fails with 500 for ids that do not exist in the caller\'s organisation', async () => {
    const failures: string[] = [];
    for (const op of operations.filter((o) => !o.public && o.path.includes('{'))) {
      for (const token of [org.users.admin.token, root.token]) {
        // Well-formed ids nobody has, and malformed ones (a UUID is one now).
        for (const id of [FOREIGN_SHAPED_ID, '99999999999999999999', randomUUID(), 'DLID9999', 'not-an-id', '-1']) {
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
          url: fill(op.path, () => FOREIGN_SHAPED_ID),
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

describe("another organisation's records, named by their integer ids", () => {
  type Kind = 'client' | 'deal' | 'payment' | 'invoice' | 'team' | 'project';
  /** Which record a route's path parameters name, by the route's path. */
  const KINDS: [RegExp, Kind][] = [
    [/^\/api\/clients\/\{id\}\//, 'client'],
    [/^\/api\/deals\/(deals\/)?\{id\}\//, 'deal'],
    [/^\/api\/payments\/\{id\}\/|^\/api\/verifier\/(verify|verifier-form)\/\{payment_id\}\//, 'payment'],
    [/^\/api\/(invoices|verifier\/invoice)\/\{id\}\//, 'invoice'],
    [/^\/api\/team\/teams\/\{id\}\//, 'team'],
    [/^\/api\/project\/(projects\/)?\{id\}\//, 'project'],
  ];
  const kindOf = (path: string) => KINDS.find(([re]) => re.test(path))?.[1];

  let victim: TestOrg;
  const ids = {} as Record<Kind, string[]>;
  let victimMember: string;

  /** Every row the victim organisation owns in the tables these routes write, as one digest. */
  const victimState = async () => {
    const tables = ['clients', 'deals', 'payments', 'invoices', 'payment_approvals', 'teams', 'team_members', 'team_projects', 'projects'];
    const parts = await t.db.system((tx) =>
      Promise.all(
        tables.map((table) =>
          rows<{ digest: string | null }>(tx, sql`SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS digest FROM ${sql.identifier(table)} x WHERE organization_id = ${victim.id}`),
        ),
      ),
    );
    return Object.fromEntries(tables.map((table, i) => [table, parts[i]![0]!.digest]));
  };

  beforeAll(async () => {
    victim = await createOrg(t, 'Matrix Victim Org');
    const token = victim.users.admin.token;
    const client = await createClient(t, victim.users.sales.token);
    const deal = await createDeal(t, victim.users.sales.token, String(client.id), { payments: [{ payment_date: today(), received_amount: '10.00' }] });
    const second = await createDeal(t, victim.users.sales.token, String(client.id), { payments: [{ payment_date: today(), received_amount: '20.00' }] });
    const payments = [deal.payments[0]!.id, second.payments[0]!.id].map(String);
    const invoices = await t.db.system((tx) => rows<{ id: string }>(tx, sql`SELECT id FROM invoices WHERE payment_id = ANY(${sql.param(payments)}::bigint[]) ORDER BY id`));
    const project = await t.app.inject({ method: 'POST', url: '/api/project/', headers: auth(token), payload: { name: 'Victim project' } });
    expect(project.statusCode, project.body).toBe(201);
    victimMember = String(victim.users.sales.id);
    const team = await t.app.inject({
      method: 'POST',
      url: '/api/team/teams/',
      headers: auth(token),
      payload: { name: 'Victim team', member_ids: [Number(victimMember)], projects: [project.json().id] },
    });
    expect(team.statusCode, team.body).toBe(201);
    ids.client = [String(client.id)];
    ids.deal = [String(deal.id), String(second.id)];
    ids.payment = payments;
    ids.invoice = invoices.map((r) => r.id);
    ids.team = [String(team.json().id)];
    ids.project = [String(project.json().id)];
    for (const list of Object.values(ids)) expect(list.every((id) => /^[1-9]\d*$/.test(id))).toBe(true);
    expect(ids.invoice).toHaveLength(2);
  });

  it('covers every kind of record (sanity: the routes were matched)', () => {
    const kinds = new Set(operations.map((op) => kindOf(op.path)).filter(Boolean));
    expect([...kinds].sort()).toEqual(['client', 'deal', 'invoice', 'payment', 'project', 'team']);
  });

  it("answers 404 for each of them on every route, exactly as for an id nobody has, and changes nothing", async () => {
    const before = await victimState();
    // Bodies the routes would accept, so that the answer is about the record, not the body.
    const bodies: Record<Kind, object> = {
      client: { client_name: 'Stolen', email: 'stolen@example.test', remarks: 'Stolen' },
      deal: { deal_name: 'Stolen', received_amount: '1.00', payment_date: today(), description: 'Stolen' },
      payment: { status: 'approved', approval_status: 'approved', remarks: 'Stolen', reason: 'Stolen' },
      invoice: {},
      team: { name: 'Stolen', user_ids: [Number(org.users.sales.id)] },
      project: { name: 'Stolen', description: 'Stolen' },
    };
    const failures: string[] = [];
    let checked = 0;
    for (const op of operations) {
      const kind = kindOf(op.path);
      if (!kind) continue;
      for (const token of [org.users.admin.token, org.users.verifier.token]) {
        const send = (id: string) =>
          t.app.inject({
            method: op.method,
            url: op.path.replace(/\{user_id\}/, victimMember).replace(/\{[^}]+\}/g, id),
            headers: auth(token),
            payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : bodies[kind],
          });
        const control = await send(FOREIGN_SHAPED_ID);
        const answer = (res: Awaited<ReturnType<typeof send>>) => `${res.statusCode} ${res.json().code ?? ''} ${res.json().detail ?? ''}`;
        for (const id of ids[kind]) {
          const res = await send(id);
          checked++;
          // A role without the permission is refused before any record is looked up.
          if (res.statusCode === 403 && control.statusCode === 403) continue;
          if (res.statusCode !== 404 || answer(res) !== answer(control)) {
            failures.push(`${op.method} ${op.path} (${kind} ${id}) → ${answer(res)}; unknown id → ${answer(control)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(100);
    expect(await victimState()).toEqual(before);
    // The records are still there for their own organisation.
    for (const id of ids.deal) {
      expect((await t.app.inject({ method: 'GET', url: `/api/deals/${id}/`, headers: auth(victim.users.admin.token) })).statusCode).toBe(200);
    }
  });
});
