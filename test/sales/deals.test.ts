// Deals: race-free codes, idempotent creation, optimistic locking, visibility and tenancy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { pgErrorCode } from '../../src/core/db/errors.ts';
import { digestOf } from '../../src/core/http/idempotency.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';
import { wire } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
let other: TestOrg;
let clientId: string;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Deals Org');
  other = await createOrg(t, 'Other Deals Org');
  clientId = (await createClient(t, org.users.sales.token)).id;
});
afterAll(() => t.close());

const inject = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token?: string, payload?: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url, payload, headers: { ...(token ? auth(token) : {}), ...headers } });

describe('deal codes', () => {
  it('50 concurrent creations get 50 distinct consecutive codes; another organisation starts at DLID0001', async () => {
    const fresh = await createOrg(t, 'Code Org');
    const client = await createClient(t, fresh.users.sales.token);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => inject('POST', '/api/deals/', fresh.users.sales.token, { client_id: client.id, deal_value: `${100 + i}.00`, payment_method: 'cash' })),
    );
    expect(results.every((r) => r.statusCode === 201)).toBe(true);
    const codes = results.map((r) => r.json().deal_id as string).sort();
    expect(new Set(codes).size).toBe(50);
    expect(codes[0]).toBe('DLID0001');
    expect(codes[49]).toBe('DLID0050');
    const otherClient = await createClient(t, other.users.sales.token);
    const first = await createDeal(t, other.users.sales.token, otherClient.id);
    expect(first.deal_id).toBe('DLID0001');
  }, 60_000);

  it('codes keep growing past four digits', async () => {
    const fresh = await createOrg(t, 'Big Code Org');
    await t.db.system((tx) => tx.execute(sql`INSERT INTO code_sequences (organization_id, name, last_value) VALUES (${fresh.id}, 'deal', 9999)`));
    const client = await createClient(t, fresh.users.sales.token);
    expect((await createDeal(t, fresh.users.sales.token, client.id)).deal_id).toBe('DLID10000');
    expect((await createDeal(t, fresh.users.sales.token, client.id)).deal_id).toBe('DLID10001');
  });
});

describe('idempotent creation', () => {
  it('the same Idempotency-Key replays the first response and creates one payment; another body → 422', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId);
    const body = { deal_id: deal.deal_id, payment_date: today(), received_amount: '100.00', payment_remarks: 'x' };
    const headers = { 'idempotency-key': 'pay-once-123' };
    const first = await inject('POST', '/api/payments/', org.users.sales.token, body, headers);
    const second = await inject('POST', '/api/payments/', org.users.sales.token, body, headers);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json().id).toBe(first.json().id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const [count] = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM payments WHERE deal_id = ${deal.id}`));
    expect(count?.n).toBe(1);
    const different = await inject('POST', '/api/payments/', org.users.sales.token, { ...body, received_amount: '200.00' }, headers);
    expect(different.statusCode).toBe(422);
    expect(different.json().code).toBe('idempotency_key_reused');
  });

  it('a key in flight answers 409; a failed attempt can be retried with the same key', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId);
    const body = { deal_id: deal.id, payment_date: today(), received_amount: '1.00' };
    // The key's hash is of the body as validated: the deal's integer id normalised to its string.
    const hash = digestOf('POST', '/api/payments/', { ...body, deal_id: String(deal.id) });
    await t.db.system((tx) =>
      tx.execute(sql`INSERT INTO idempotency_keys (organization_id, user_id, key, method, path, request_hash) VALUES (${org.id}, ${org.users.sales.id}, 'busy-key', 'POST', '/api/payments/', ${hash})`),
    );
    const busy = await inject('POST', '/api/payments/', org.users.sales.token, body, { 'idempotency-key': 'busy-key' });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().code).toBe('idempotency_in_flight');
    const bad = await inject('POST', '/api/payments/', org.users.sales.token, { deal_id: deal.id, payment_date: '2999-01-01', received_amount: '1.00' }, { 'idempotency-key': 'retry-key' });
    expect(bad.statusCode).toBe(400);
    // The failed attempt left no key behind, so the same request is evaluated again (not replayed or 409).
    const again = await inject('POST', '/api/payments/', org.users.sales.token, { deal_id: deal.id, payment_date: '2999-01-01', received_amount: '1.00' }, { 'idempotency-key': 'retry-key' });
    expect(again.statusCode).toBe(400);
    const [keys] = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'retry-key'`));
    expect(keys?.n).toBe(0);
  });

  it('eight concurrent requests with one key record one payment: the others replay it or answer 409', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId);
    const body = { deal_id: deal.deal_id, payment_date: today(), received_amount: '3.00' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => inject('POST', '/api/payments/', org.users.sales.token, body, { 'idempotency-key': 'race-key' })));
    expect(answers.every((a) => a.statusCode === 201 || (a.statusCode === 409 && a.json().code === 'idempotency_in_flight'))).toBe(true);
    const created = answers.filter((a) => a.statusCode === 201);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((a) => a.json().id)).size).toBe(1);
    const [stored] = await t.db.system((tx) =>
      rows<{ payments: number; keys: number; state: string }>(
        tx,
        sql`SELECT (SELECT count(*)::int FROM payments WHERE deal_id = ${deal.id}) AS payments,
                   (SELECT count(*)::int FROM idempotency_keys WHERE key = 'race-key') AS keys,
                   (SELECT state FROM idempotency_keys WHERE key = 'race-key') AS state`,
      ),
    );
    expect(stored).toEqual({ payments: 1, keys: 1, state: 'done' });
    const later = await inject('POST', '/api/payments/', org.users.sales.token, body, { 'idempotency-key': 'race-key' });
    expect(later.statusCode).toBe(201);
    expect(later.headers['idempotent-replayed']).toBe('true');
    expect(later.json().id).toBe(created[0]!.json().id);
  }, 30_000);

  it('while another transaction holds the key it answers 409; once released the request goes through', async () => {
    // PGlite has one connection, so a second transaction cannot hold the key meanwhile.
    if (t.db.kind !== 'postgres') return;
    const deal = await createDeal(t, org.users.sales.token, clientId);
    const body = { deal_id: deal.deal_id, payment_date: today(), received_amount: '4.00' };
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = t.db.system(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${org.id}:${org.users.sales.id}:held-key`}, 0))`);
      locked();
      await held;
    });
    await isLocked;
    const busy = await inject('POST', '/api/payments/', org.users.sales.token, body, { 'idempotency-key': 'held-key' });
    release();
    await holder;
    expect(busy.statusCode).toBe(409);
    expect(busy.json().code).toBe('idempotency_in_flight');
    const free = await inject('POST', '/api/payments/', org.users.sales.token, body, { 'idempotency-key': 'held-key' });
    expect(free.statusCode).toBe(201);
  });

  it('a response stored by a transaction that commits while the claim waits is replayed, and no work is done', async () => {
    if (t.db.kind !== 'postgres') return; // needs a second open transaction (see above)
    const deal = await createDeal(t, org.users.sales.token, clientId);
    const body = { deal_id: deal.deal_id, payment_date: today(), received_amount: '5.00' };
    // A real payment's response, so that the replay passes the route's response schema.
    const source = await inject('POST', '/api/payments/', org.users.sales.token, { ...body, received_amount: '6.00' });
    expect(source.statusCode).toBe(201);
    const stored = source.body;
    let commit!: () => void;
    const committing = new Promise<void>((r) => (commit = r));
    let inserted!: () => void;
    const isInserted = new Promise<void>((r) => (inserted = r));
    // As an earlier version's claim would: the key's row written without the advisory lock.
    const other = t.db.system(async (tx) => {
      await tx.execute(sql`INSERT INTO idempotency_keys (organization_id, user_id, key, method, path, request_hash, state, response_status, response_body)
        VALUES (${org.id}, ${org.users.sales.id}, 'late-key', 'POST', '/api/payments/', ${digestOf('POST', '/api/payments/', body)}, 'done', 201, ${stored})`);
      inserted();
      await committing;
    });
    await isInserted;
    const answer = inject('POST', '/api/payments/', org.users.sales.token, body, { 'idempotency-key': 'late-key' });
    // Commit only once the claim waits on the uncommitted row, so its snapshot predates the row.
    for (let i = 0; i < 100; i++) {
      const [waiting] = await t.db.system((tx) =>
        rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO idempotency_keys%'`),
      );
      if (waiting?.n) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    commit();
    await other;
    const res = await answer;
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['idempotent-replayed']).toBe('true');
    expect(res.json()).toEqual(source.json());
    // Only the source payment: the replayed request did no work.
    const [count] = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM payments WHERE deal_id = ${deal.id}`));
    expect(count?.n).toBe(1);
  });
});

describe('recording a payment', () => {
  it('writes the payment, its invoice, the activity line and the audit row, with codes from the organisation sequences', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId);
    const res = await inject('POST', `/api/deals/${deal.deal_id}/payments/`, org.users.sales.token, { payment_date: today(), received_amount: '12.50', payment_method: 'bank' });
    expect(res.statusCode).toBe(201);
    const payment = res.json();
    expect(payment.transaction_id).toMatch(/^TXN-\d{4,}$/);
    const [written] = await t.db.system((tx) =>
      rows<{ invoice: string; activity: { description: string; metadata: Record<string, string>; user_id: string }; audit: { actor_id: string; new_values: Record<string, unknown> } }>(
        tx,
        sql`SELECT (SELECT invoice_code FROM invoices WHERE payment_id = ${payment.id}) AS invoice,
                   (SELECT row_to_json(a) FROM (SELECT description, metadata, user_id FROM activity_logs WHERE deal_id = ${deal.id} AND action = 'payment_recorded') a) AS activity,
                   (SELECT row_to_json(a) FROM (SELECT actor_id, new_values FROM audit_log WHERE entity = 'payment' AND entity_id = ${payment.id}::text AND action = 'create') a) AS audit`,
      ),
    );
    expect(written!.invoice).toMatch(/^INV-\d{4,}$/);
    expect(written!.activity).toEqual({
      description: `Payment ${payment.transaction_id} of 12.50 USD received via bank.`,
      // Stored as PRS holds ids (decimal strings), like the metadata written from JavaScript.
      metadata: { payment_id: String(payment.id), transaction_id: payment.transaction_id },
      // row_to_json writes bigint columns as JSON numbers.
      user_id: wire(org.users.sales.id),
    });
    expect(written!.audit).toEqual({
      actor_id: wire(org.users.sales.id),
      new_values: { transaction_id: payment.transaction_id, deal: deal.deal_id, received_amount: '12.50', payment_date: today(), cheque_number: null, invoice: written!.invoice },
    });
  });

  it('a tenant cannot create or start the code sequence of another organisation', async () => {
    const attempt = (orgId: string, name: string) =>
      t.db
        .tenant({ orgId: org.id, userId: org.users.sales.id }, (tx) => tx.execute(sql`SELECT app.create_code_sequence(${orgId}::bigint, ${name}, 500)`))
        .then(() => 'created', (err: unknown) => pgErrorCode(err));
    const victim = await createOrg(t, 'Sequence Victim Org');
    expect(await attempt(victim.id, 'deal')).toBe('42501');
    expect(await attempt(org.id, 'Bad-Name')).toBe('22023');
    // Had the first call gone through, the victim's numbering would start at DLID0500.
    const client = await createClient(t, victim.users.sales.token);
    expect((await createDeal(t, victim.users.sales.token, client.id)).deal_id).toBe('DLID0001');
  });
});

describe('updates', () => {
  it('If-Match with a stale version answers 412; the current one updates and bumps the version', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId);
    const ok = await inject('PATCH', `/api/deals/${deal.deal_id}/`, org.users.sales.token, { deal_name: 'Renamed' }, { 'if-match': String(deal.version) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().version).toBeGreaterThan(deal.version);
    const stale = await inject('PATCH', `/api/deals/${deal.deal_id}/`, org.users.sales.token, { deal_name: 'Lost update' }, { 'if-match': String(deal.version) });
    expect(stale.statusCode).toBe(412);
    const web = await inject('PUT', `/api/deals/deals/${deal.deal_id}/`, org.users.sales.token, { deal_remarks: 'edited', version: 'edited' });
    expect(web.statusCode).toBe(200);
    expect(web.json()).toMatchObject({ deal_name: 'Renamed', deal_remarks: 'edited', edit_status: 'edited' });
  });

  it('refuses bad input with field errors, never a 500', async () => {
    const bad = await inject('POST', '/api/deals/', org.users.sales.token, { client_id: clientId, deal_value: '-5', payment_method: 'barter', due_date: 'soon' });
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(bad.json())).toEqual(expect.arrayContaining(['deal_value', 'payment_method', 'due_date']));
    const overpaid = await inject('POST', '/api/deals/', org.users.sales.token, {
      client_id: clientId, deal_value: '100', payment_method: 'cash', payments: [{ payment_date: today(), received_amount: '150' }],
    });
    expect(overpaid.statusCode).toBe(400);
    expect(overpaid.json().payments).toBeDefined();
    const future = await inject('POST', '/api/deals/', org.users.sales.token, {
      client_id: clientId, deal_value: '100', payment_method: 'cash', payments: [{ payment_date: '2999-01-01', received_amount: '50' }],
    });
    expect(future.json().payments[0].payment_date).toBeDefined();
    const dueBefore = await inject('POST', '/api/deals/', org.users.sales.token, { client_id: clientId, deal_value: '100', payment_method: 'cash', deal_date: '2026-05-01', due_date: '2026-04-01' });
    expect(dueBefore.json().due_date).toBeDefined();
  });

  it('a failed nested payment rolls the whole deal back', async () => {
    const existing = await createDeal(t, org.users.sales.token, clientId, { payments: [{ payment_date: today(), received_amount: '10', cheque_number: 'DUP-123456' }] });
    expect(existing.payments).toHaveLength(1);
    const [before] = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM deals WHERE organization_id = ${org.id}`));
    const dup = await inject('POST', '/api/deals/', org.users.sales.token, {
      client_id: clientId, deal_value: '100', payment_method: 'cheque', payments: [{ payment_date: today(), received_amount: '10', cheque_number: 'DUP-123456' }],
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().payments[0].cheque_number[0]).toMatch(/already been used/);
    const [after] = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM deals WHERE organization_id = ${org.id}`));
    expect(after?.n).toBe(before?.n);
  });
});

describe('access', () => {
  it('a salesperson with own visibility sees only their deals; a verifier sees all', async () => {
    const mine = await createDeal(t, org.users.sales.token, clientId);
    const leadClient = await createClient(t, org.users.lead.token);
    const theirs = await createDeal(t, org.users.lead.token, leadClient.id);
    const list = await inject('GET', '/api/deals/?page_size=1000', org.users.sales.token);
    const ids = (list.json().results as { id: number }[]).map((d) => d.id);
    expect(ids).toContain(wire(mine.id));
    expect(ids).not.toContain(wire(theirs.id));
    expect((await inject('GET', `/api/deals/${theirs.deal_id}/`, org.users.sales.token)).statusCode).toBe(404);
    const verifierIds = ((await inject('GET', '/api/deals/?page_size=1000', org.users.verifier.token)).json().results as { id: number }[]).map((d) => d.id);
    expect(verifierIds).toEqual(expect.arrayContaining([wire(mine.id), wire(theirs.id)]));
  });

  it('401 without token, 403 without permission, 404 across organisations', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId, { payments: [{ payment_date: today(), received_amount: '5' }] });
    expect((await inject('GET', '/api/deals/')).statusCode).toBe(401);
    expect((await inject('POST', '/api/deals/', org.users.member.token, { client_id: clientId, deal_value: '1', payment_method: 'cash' })).statusCode).toBe(403);
    expect((await inject('DELETE', `/api/deals/${deal.id}/`, org.users.verifier.token)).statusCode).toBe(403);
    const foreign = other.users.admin.token;
    for (const url of [`/api/deals/${deal.id}/`, `/api/deals/deals/${deal.id}/expand/`, `/api/deals/${deal.id}/payments/`, `/api/deals/${deal.id}/invoices/`, `/api/deals/deals/${deal.id}/log-activity/`, `/api/payments/${deal.payments[0]!.id}/`, `/api/verifier/verifier-form/${deal.payments[0]!.id}/`]) {
      expect((await inject('GET', url, foreign)).statusCode, url).toBe(404);
    }
    expect((await inject('POST', `/api/verifier/verify/${deal.payments[0]!.id}/`, other.users.verifier.token, { status: 'approved' })).statusCode).toBe(404);
    expect((await inject('POST', '/api/payments/', other.users.sales.token, { deal_id: deal.id, payment_date: today(), received_amount: '1' })).statusCode).toBe(404);
    // A client of another organisation cannot be used for a deal.
    const otherClient = await createClient(t, other.users.sales.token);
    const cross = await inject('POST', '/api/deals/', org.users.sales.token, { client_id: otherClient.id, deal_value: '1', payment_method: 'cash' });
    expect(cross.statusCode).toBe(400);
    expect(cross.json().client_id).toBeDefined();
    expect((await inject('GET', '/api/deals/deals/not-a-deal/', org.users.admin.token)).statusCode).toBe(404);
  });

  it('deleting is soft, audited, and refused once money is verified', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId);
    expect((await inject('DELETE', `/api/deals/deals/${deal.id}/`, org.users.sales.token)).statusCode).toBe(204);
    expect((await inject('GET', `/api/deals/${deal.id}/`, org.users.sales.token)).statusCode).toBe(404);
    const [row] = await t.db.system((tx) => rows<{ deleted: boolean }>(tx, sql`SELECT deleted_at IS NOT NULL AS deleted FROM deals WHERE id = ${deal.id}`));
    expect(row?.deleted).toBe(true);
    const audit = await t.db.system((tx) => rows<{ action: string }>(tx, sql`SELECT action FROM audit_log WHERE entity = 'deal' AND entity_id = ${deal.id} ORDER BY created_at`));
    expect(audit.map((a) => a.action)).toEqual(['create', 'delete']);
  });

  it('approval needs deals:verify and is not for one\'s own deal', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId);
    expect((await inject('POST', `/api/deals/${deal.id}/approve/`, org.users.sales.token)).statusCode).toBe(403);
    const ok = await inject('POST', `/api/deals/${deal.id}/approve/`, org.users.verifier.token);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().verification_status).toBe('verified');
    expect((await inject('POST', `/api/deals/${deal.id}/approve/`, org.users.verifier.token)).statusCode).toBe(409);
  });
});
