// Every commission route: the happy path, 401 without a token, 403 for a role without the
// permission, 404 for another organisation's user or statement, 400 for bad input, never a 500.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createOrg, type TestOrg } from '../support/identity.ts';
import { today } from '../support/sales.ts';
import { commissionHarness } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
let other: TestOrg;
let h: ReturnType<typeof commissionHarness>;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Commission Routes Org');
  other = await createOrg(t, 'Commission Other Org');
  h = commissionHarness(t);
  await h.verifiedPayment(org, org.users.sales, 'USD', '1000.00');
  await h.verifiedPayment(other, other.users.sales, 'USD', '9999.00');
});
afterAll(() => t.close());

const ROUTES: [method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown][] = [
  ['GET', '/api/commission/summary/'],
  ['GET', `/api/commission/user/${randomUUID()}/`],
  ['GET', '/api/commission/commissions/org-admin/'],
  ['PUT', '/api/commission/commissions/bulk-update/', []],
  ['POST', '/api/commission/commissions/export-selected/?format=csv', { user_ids: [] }],
  ['GET', '/api/commission/currencies/'],
  ['GET', '/api/commission/country-codes/'],
  ['GET', '/api/commission/nationalities/'],
  ['GET', '/api/commission/exchange-rates/'],
  ['POST', '/api/commission/exchange-rates/', {}],
  ['POST', '/api/commission/run/', {}],
  ['POST', `/api/commission/statements/${randomUUID()}/approve/`],
  ['POST', `/api/commission/statements/${randomUUID()}/pay/`],
  ['GET', '/api/commission/plans/'],
  ['POST', '/api/commission/plans/', {}],
];

describe('authentication and permissions', () => {
  it('documents every route in the OpenAPI schema', async () => {
    const paths = Object.keys((await t.app.inject({ method: 'GET', url: '/api/schema/' })).json().paths as object);
    for (const [, url] of ROUTES) {
      const path = url.split('?')[0]!.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, (id) => (url.includes('/user/') ? '{user_id}' : id)).replace(/statements\/[^/]+\//, 'statements/{id}/');
      expect(paths, path).toContain(path);
    }
  });

  it('answers 401 without a token on every route', async () => {
    for (const [method, url, body] of ROUTES) {
      const res = await h.call(method, url, undefined, body);
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('answers 403 to a salesperson on management routes and to a verifier (no commission permission) everywhere else', async () => {
    const sales = org.users.sales.token;
    for (const [method, url, body] of [
      ['GET', '/api/commission/commissions/org-admin/'],
      ['PUT', '/api/commission/commissions/bulk-update/', [{ user_id: org.users.sales.id, bonus: 10 }]],
      ['POST', '/api/commission/commissions/export-selected/', { user_ids: [org.users.sales.id] }],
      ['POST', '/api/commission/exchange-rates/', { from_currency: 'EUR', rate: '1.1' }],
      ['POST', '/api/commission/run/', { period: 'monthly' }],
      ['GET', '/api/commission/plans/'],
      ['POST', '/api/commission/plans/', { user_id: org.users.sales.id, rate: '9' }],
    ] as const) {
      const res = await h.call(method, url, sales, body);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().detail).toEqual(expect.any(String));
    }
    expect((await h.call('GET', '/api/commission/summary/', org.users.verifier.token)).statusCode).toBe(403);
    // A supervisor sees everything but changes nothing.
    expect((await h.call('GET', '/api/commission/commissions/org-admin/', org.users.supervisor.token)).statusCode).toBe(200);
    expect((await h.call('POST', '/api/commission/run/', org.users.supervisor.token, { period: 'monthly' })).statusCode).toBe(403);
  });
});

describe('seed routes', () => {
  it('summary: own figures for a salesperson, the organisation for an admin, 403/404 for others', async () => {
    const own = await h.call('GET', '/api/commission/summary/?period=daily', org.users.sales.token);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ scope: 'own', period: 'daily', start_date: today(), end_date: today(), currency: 'USD', statements: [{ user: { id: org.users.sales.id }, commission: '50.00' }] });
    const all = await h.call('GET', '/api/commission/summary/?period=monthly', org.users.admin.token);
    expect(all.json().scope).toBe('organization');
    expect(JSON.stringify(all.json())).not.toContain('9999');
    expect((await h.call('GET', `/api/commission/summary/?user_id=${org.users.lead.id}`, org.users.sales.token)).statusCode).toBe(403);
    expect((await h.call('GET', `/api/commission/summary/?user_id=${other.users.sales.id}`, org.users.admin.token)).statusCode).toBe(404);
    const custom = await h.call('GET', `/api/commission/summary/?start_date=2020-01-01&end_date=${today()}`, org.users.sales.token);
    expect(custom.json()).toMatchObject({ period: 'custom', start_date: '2020-01-01', statements: [{ id: null, commission: '50.00' }] });
  });

  it('summary: 400 for a bad period, a bad date or a reversed range', async () => {
    for (const qs of ['period=hourly', 'start_date=2024-13-45', 'period=daily&start_date=2024-02-10&end_date=2024-02-01', 'start_date=yesterday']) {
      const res = await h.call('GET', `/api/commission/summary/?${qs}`, org.users.admin.token);
      expect(res.statusCode, qs).toBe(400);
    }
  });

  it('user commissions: own for a salesperson, anyone of the organisation for an admin, 404 across organisations', async () => {
    const own = await h.call('GET', `/api/commission/user/${org.users.sales.id}/`, org.users.sales.token);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ user: { id: org.users.sales.id }, currency: 'USD', plan: { rate: '5.00', effective_from: null }, accruals: [{ amount: '1000.00', commission: '50.00', status: 'pending', kind: 'accrual', deal_id: expect.stringMatching(/^DLID/) }] });
    expect((await h.call('GET', `/api/commission/user/${org.users.sales.id}/`, org.users.admin.token)).statusCode).toBe(200);
    expect((await h.call('GET', `/api/commission/user/${org.users.lead.id}/`, org.users.sales.token)).statusCode).toBe(403);
    for (const id of [other.users.sales.id, randomUUID(), 'not-an-id']) {
      expect((await h.call('GET', `/api/commission/user/${id}/`, org.users.admin.token)).statusCode, id).toBe(404);
    }
    expect((await h.call('GET', `/api/commission/user/${org.users.sales.id}/?start_date=nope`, org.users.admin.token)).statusCode).toBe(400);
  });
});

describe('management routes', () => {
  it('exchange rates: list, record once per day and pair, reject bad input', async () => {
    const created = await h.call('POST', '/api/commission/exchange-rates/', org.users.admin.token, { date: '2025-03-01', from_currency: 'GBP', to_currency: 'USD', rate: 1.27 });
    expect(created.statusCode, created.body).toBe(201);
    expect((await h.call('POST', '/api/commission/exchange-rates/', org.users.admin.token, { date: '2025-03-01', from_currency: 'GBP', rate: 1.3 })).statusCode).toBe(409);
    for (const body of [{ from_currency: 'USD', rate: 1 }, { from_currency: 'GBP', rate: 0 }, { from_currency: 'GB', rate: 1 }, { from_currency: 'GBP', rate: 'abc' }, { from_currency: 'GBP', rate: 1, date: '2025-02-30' }]) {
      expect((await h.call('POST', '/api/commission/exchange-rates/', org.users.admin.token, body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    const list = await h.call('GET', '/api/commission/exchange-rates/?from_currency=GBP', org.users.sales.token);
    expect(list.json()).toMatchObject({ count: 1, results: [{ date: '2025-03-01', from_currency: 'GBP', to_currency: 'USD', rate: '1.27000000' }] });
    expect((await h.call('GET', '/api/commission/exchange-rates/', other.users.admin.token)).json().count).toBe(0);
  });

  it('plans: set and list; 404 for another organisation\'s user; 400 for a rate above 100', async () => {
    const set = await h.call('POST', '/api/commission/plans/', org.users.admin.token, { user_id: org.users.lead.id, rate: 8, effective_from: '2030-01-01' });
    expect(set.statusCode, set.body).toBe(201);
    expect(set.json()).toMatchObject({ rate: '8.00', effective_from: '2030-01-01' });
    const list = await h.call('GET', '/api/commission/plans/', org.users.admin.token);
    expect(list.json()).toEqual(expect.arrayContaining([expect.objectContaining({ user: expect.objectContaining({ id: org.users.sales.id }), rate: '5.00' })]));
    expect((await h.call('POST', '/api/commission/plans/', org.users.admin.token, { user_id: other.users.sales.id, rate: 8 })).statusCode).toBe(404);
    expect((await h.call('POST', '/api/commission/plans/', org.users.admin.token, { user_id: org.users.sales.id, rate: 101 })).statusCode).toBe(400);
  });

  it('run: 400 for a missing or unknown period; statements: 404 for unknown, malformed and foreign ids', async () => {
    expect((await h.call('POST', '/api/commission/run/', org.users.admin.token, {})).statusCode).toBe(400);
    expect((await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'hourly' })).statusCode).toBe(400);
    expect((await h.call('POST', '/api/commission/run/', org.users.admin.token, [1, 2])).statusCode).toBe(400);
    const foreign = await h.call('POST', '/api/commission/run/', other.users.admin.token, { period: 'monthly' });
    const foreignId = (foreign.json().statements as { id: string }[])[0]!.id;
    for (const id of [foreignId, randomUUID(), 'nope']) {
      expect((await h.call('POST', `/api/commission/statements/${id}/approve/`, org.users.admin.token)).statusCode, id).toBe(404);
      expect((await h.call('POST', `/api/commission/statements/${id}/pay/`, org.users.admin.token)).statusCode, id).toBe(404);
    }
  });

  it('bulk update: 404 for another organisation\'s user, 400 for bad rows, 409 on a paid statement', async () => {
    const put = (body: unknown) => h.call('PUT', '/api/commission/commissions/bulk-update/', org.users.admin.token, body);
    expect((await put([{ user_id: other.users.sales.id, bonus: 1 }])).statusCode).toBe(404);
    expect((await put([{ user_id: 'garbage', bonus: 1 }])).statusCode).toBe(404);
    for (const body of [{ user_id: org.users.sales.id }, [], [{ bonus: 1 }], [{ user_id: org.users.sales.id, percentage: 120 }], [{ user_id: org.users.sales.id, bonus: -5 }], [{ user_id: org.users.sales.id, rate: 0 }], 'text']) {
      expect((await put(body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    // Paid in the organisation's currency, the payout rate must be 1.
    const res = await put([{ user_id: org.users.sales.id, currency: 'USD', rate: 2 }]);
    expect(res.statusCode).toBe(400);
    // Nothing of a refused batch is kept.
    const [kept] = await h.q<{ n: number }>(sql`SELECT count(*)::int AS n FROM commission_statements WHERE organization_id = ${org.id} AND period_kind = 'yearly'`);
    expect(kept?.n).toBe(0);
    await h.q(sql`INSERT INTO commission_statements (organization_id, user_id, period_kind, start_date, end_date, currency, payout_currency, status)
      VALUES (${org.id}, ${org.users.sales.id}, 'yearly', ${`${today().slice(0, 4)}-01-01`}::date, ${`${today().slice(0, 4)}-12-31`}::date, 'USD', 'USD', 'paid')`);
    const frozen = await put([{ user_id: org.users.sales.id, bonus: 5 }]);
    expect(frozen.statusCode).toBe(409);
    expect(frozen.json().code).toBe('statement_frozen');
  });
});

// Issue 13, defect 5: a period computed from a far date answered 500.
describe('dates at the edges', () => {
  const fieldOf = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await h.call(method, url, org.users.admin.token, payload);
    expect(res.statusCode, `${url} ${res.body}`).toBe(400);
    return res.json() as Record<string, unknown>;
  };

  it('a business date outside 1900-01-01 … 2200-12-31, or off the calendar, is a 400 naming the field', async () => {
    for (const day of ['9999-12-31', '1899-12-31', '2201-01-01', '0000-01-01', '2026-02-30']) {
      for (const url of ['/api/commission/summary/?period=weekly', '/api/analytics/commission/?period=monthly', '/api/commission/commissions/org-admin/?period=yearly']) {
        expect((await fieldOf('GET', `${url}&start_date=${day}`)).start_date, `${url} ${day}`).toEqual([expect.any(String)]);
      }
      expect((await fieldOf('POST', '/api/commission/run/', { period: 'weekly', start_date: day })).start_date, day).toEqual([expect.any(String)]);
      expect((await fieldOf('GET', `/api/deals/?date_from=${day}`)).date_from, day).toEqual([expect.any(String)]);
    }
  });

  it('the last periods of the range are computed without overflowing', async () => {
    for (const period of ['daily', 'weekly', 'monthly', 'yearly']) {
      const res = await h.call('GET', `/api/commission/summary/?period=${period}&start_date=2200-12-31`, org.users.admin.token);
      expect(res.statusCode, `${period} ${res.body}`).toBe(200);
    }
    expect((await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'weekly', start_date: '2200-12-31' })).statusCode).toBe(200);
    expect((await h.call('GET', '/api/commission/summary/?period=weekly&start_date=1900-01-01', org.users.admin.token)).statusCode).toBe(200);
  });

  it('page and page_size are whole numbers written as such: 1e3, 1.5, 0, -1 and huge pages are a 400 naming the field', async () => {
    for (const [query, field] of [['page=1e3', 'page'], ['page=1.5', 'page'], ['page=-1', 'page'], ['page=0', 'page'], ['page=0x10', 'page'], ['page=99999999999999999999', 'page'], ['page_size=1e3', 'page_size'], ['limit=2.0', 'limit']] as const) {
      expect((await fieldOf('GET', `/api/clients/?${query}`))[field], query).toEqual([expect.any(String)]);
    }
    expect((await h.call('GET', '/api/clients/?page=1&page_size=10', org.users.admin.token)).statusCode).toBe(200);
  });
});
