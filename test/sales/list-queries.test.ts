// The list queries shaped for scale (docs/performance.md): the verifier queue read in priority
// slices and counted from payments alone, and the deal list's count without the client join.
// Whatever the filter, `count` is the number of rows the pages hold, in the documented order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';
import { wire } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
let other: TestOrg;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Queue Lists Org');
  other = await createOrg(t, 'Queue Lists Outsider');
});
afterAll(() => t.close());

const get = async (url: string, token: string) => {
  const res = await t.app.inject({ method: 'GET', url, headers: auth(token) });
  expect(res.statusCode).toBe(200);
  return res.json() as { count: number; results: QueueItem[] };
};

interface QueueItem {
  id: number;
  transaction_id: string;
  priority: string;
  client_name: string;
  info_requested: boolean;
  submitted_by: { id: number; full_name: string };
}

interface Waiting {
  /** As the queue answers it: a JSON integer. */
  id: number;
  transaction_id: string;
  hours: number;
  overdue: boolean;
  infoRequested: boolean;
}

const rankOf = (p: Waiting) => (p.hours > 72 || p.overdue ? 0 : p.hours > 24 ? 1 : 2);
const PRIORITIES = ['high', 'medium', 'low'];
/** The documented order: priority, then oldest first (ids break ties; the ages here differ). */
const queueOrder = (items: Waiting[]) => [...items].sort((a, b) => rankOf(a) - rankOf(b) || b.hours - a.hours);

describe('verifier queue', () => {
  let waiting: Waiting[];
  let clientName: string;
  let hiddenSubmitter: string;

  beforeAll(async () => {
    clientName = 'Slice Client 7f3a';
    const client = await createClient(t, org.users.sales.token, { client_name: clientName });
    // Ages either side of the 24- and 72-hour marks, with and without an overdue deal.
    const plan: Omit<Waiting, 'id' | 'transaction_id'>[] = [
      { hours: 130, overdue: false, infoRequested: false },
      { hours: 100, overdue: true, infoRequested: false },
      { hours: 84, overdue: false, infoRequested: true },
      { hours: 60, overdue: true, infoRequested: false },
      { hours: 50, overdue: false, infoRequested: false },
      { hours: 30, overdue: false, infoRequested: true },
      { hours: 5, overdue: true, infoRequested: false },
      { hours: 3, overdue: false, infoRequested: false },
      { hours: 1, overdue: false, infoRequested: true },
    ];
    waiting = [];
    for (const [i, w] of plan.entries()) {
      const deal = await createDeal(t, org.users.sales.token, client.id, { deal_name: `Slice deal ${i}`, payments: [{ payment_date: today(), received_amount: '10.00' }] });
      const paymentId = deal.payments[0]!.id;
      await t.db.system(async (tx) => {
        await tx.execute(sql`UPDATE payments SET created_at = now() - make_interval(hours => ${w.hours}), info_requested = ${w.infoRequested} WHERE id = ${paymentId}`);
        // No due date at all counts as not overdue, like a due date in the future.
        const due = w.overdue ? sql`CURRENT_DATE - 1` : i % 2 ? sql`NULL` : sql`CURRENT_DATE + 30`;
        await tx.execute(sql`UPDATE deals SET deal_date = CURRENT_DATE - 10, due_date = ${due} WHERE id = ${deal.id}`);
      });
      const [row] = await t.db.system((tx) => rows<{ transaction_id: string }>(tx, sql`SELECT transaction_id FROM payments WHERE id = ${paymentId}`));
      waiting.push({ id: wire(paymentId), transaction_id: row!.transaction_id, ...w });
    }
    // A pending payment of a deleted deal is not waiting for anyone.
    const gone = await createDeal(t, org.users.sales.token, client.id, { deal_name: 'Deleted deal', payments: [{ payment_date: today(), received_amount: '10.00' }] });
    expect((await t.app.inject({ method: 'DELETE', url: `/api/deals/${gone.id}/`, headers: auth(org.users.sales.token) })).statusCode).toBe(204);
    // A submitter the verifier cannot see (as when a platform administrator without membership
    // records a payment): the payment still waits in the queue.
    hiddenSubmitter = other.users.sales.id;
    await t.db.system((tx) => tx.execute(sql`UPDATE payments SET created_by = ${hiddenSubmitter} WHERE id = ${waiting[4]!.id}`));
  });

  it('orders by priority, then oldest first, and pages through the same order', async () => {
    const token = org.users.verifier.token;
    const all = await get('/api/verifier/queue/?page_size=100', token);
    const expected = queueOrder(waiting);
    expect(all.count).toBe(waiting.length);
    expect(all.results.map((r) => r.id)).toEqual(expected.map((w) => w.id));
    expect(all.results.map((r) => r.priority)).toEqual(expected.map((w) => PRIORITIES[rankOf(w)]));
    const hidden = all.results.find((r) => r.id === waiting[4]!.id)!;
    expect(hidden.submitted_by).toEqual({ id: wire(hiddenSubmitter), full_name: '' });
    expect(hidden.client_name).toBe(clientName);

    const paged: number[] = [];
    for (let page = 1; page <= 5; page++) {
      const body = await get(`/api/verifier/queue/?page_size=2&page=${page}`, token);
      expect(body.count).toBe(waiting.length);
      paged.push(...body.results.map((r) => r.id));
    }
    expect(paged).toEqual(expected.map((w) => w.id));
  });

  it('counts exactly the rows of every filter', async () => {
    const token = org.users.verifier.token;
    const cases: [string, (w: Waiting) => boolean][] = [
      ['', () => true],
      ['status=pending', (w) => !w.infoRequested],
      ['status=requires_info', (w) => w.infoRequested],
      ['status=all', () => true],
      ['status=verified', () => false],
      ['priority=high', (w) => rankOf(w) === 0],
      ['priority=medium', (w) => rankOf(w) === 1],
      ['priority=low', (w) => rankOf(w) === 2],
      ['priority=high&status=requires_info', (w) => rankOf(w) === 0 && w.infoRequested],
      [`search=${encodeURIComponent('slice CLIENT')}`, () => true],
      [`search=${waiting[3]!.transaction_id}`, (w) => w === waiting[3]],
      [`search=${encodeURIComponent('slice client')}&priority=medium`, (w) => rankOf(w) === 1],
      ['search=nothing-matches-this', () => false],
    ];
    for (const [query, keep] of cases) {
      const expected = queueOrder(waiting.filter(keep)).map((w) => w.id);
      const body = await get(`/api/verifier/queue/?page_size=100&${query}`, token);
      // status=all also lists the organisation's other payments (the deleted deal's among them: no).
      const ours = body.results.map((r) => r.id).filter((id) => waiting.some((w) => w.id === id));
      expect(ours, query).toEqual(expected);
      expect(body.count, query).toBe(body.results.length);
    }
    // Another organisation's verifier sees none of it.
    expect((await get('/api/verifier/queue/?page_size=100&status=all', other.users.verifier.token)).count).toBe(0);
  });
});

describe('deal list', () => {
  it('counts the filtered deals with and without the client search, and nests each deal its own payments', async () => {
    const token = org.users.admin.token;
    const client = await createClient(t, org.users.sales.token, { client_name: 'Lattice Holdings 51c' });
    const created = [];
    for (let i = 0; i < 3; i++) {
      const payments = Array.from({ length: i + 1 }, () => ({ payment_date: today(), received_amount: '1.00' }));
      created.push(await createDeal(t, org.users.sales.token, client.id, { deal_name: `Lattice ${i}`, payments }));
    }
    const list = (query: string) => t.app.inject({ method: 'GET', url: `/api/deals/?page_size=1000&${query}`, headers: auth(token) }).then((r) => r.json());
    const found = await list(`search=${encodeURIComponent('lattice holdings')}`);
    expect(found.count).toBe(3);
    expect(found.results).toHaveLength(3);
    for (const deal of found.results as { id: number; payment_count: number; payments: { deal: number }[] }[]) {
      expect(deal.payments).toHaveLength(deal.payment_count);
      expect(deal.payments.every((p) => p.deal === deal.id)).toBe(true);
    }
    const pending = await list('verification_status=pending');
    expect(pending.count).toBe(pending.results.length);
    expect((pending.results as { id: number }[]).map((d) => d.id)).toEqual(expect.arrayContaining(created.map((d) => wire(d.id))));
    const paged = await t.app.inject({ method: 'GET', url: '/api/deals/?verification_status=pending&page_size=2', headers: auth(token) });
    expect(paged.json().count).toBe(pending.count);
  });
});
