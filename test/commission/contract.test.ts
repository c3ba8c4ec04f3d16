// The web client's commission.* contract entries, sent exactly as the client sends them (stray
// '?', 'Token' header, JSON content-type, a top-level JSON array, the raw-fetch CSV export), with
// every field the client reads present; plus the CSV's escaping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createOrg, type TestOrg } from '../support/identity.ts';
import { clientRequest, contractEntries, contractEntry, missingFields, type ClientRequestOptions } from '../contract/contract.ts';
import { commissionHarness } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
let other: TestOrg;
let h: ReturnType<typeof commissionHarness>;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Commission Contract Org');
  other = await createOrg(t, 'Commission Contract Other');
  h = commissionHarness(t);
  await h.verifiedPayment(org, org.users.sales, 'USD', '2000.00');
  // A name that needs CSV quoting and one a spreadsheet would run as a formula.
  await h.q(sql`UPDATE users SET first_name = 'Smith, "Jr"', last_name = 'Ram' WHERE id = ${org.users.sales.id}`);
});
afterAll(() => t.close());

async function send(id: string, opts: ClientRequestOptions = {}) {
  const res = await t.app.inject(clientRequest(contractEntry(id), { token: org.users.admin.token, ...opts }));
  expect(res.statusCode, `${id}: ${res.body.slice(0, 300)}`).toBeLessThan(300);
  return res;
}

describe('commission contract entries', () => {
  it('covers every commission.* entry of the contract', () => {
    const ids = contractEntries().filter((e) => e.id.startsWith('commission.')).map((e) => e.id).sort();
    expect(ids).toEqual(['commission.bulk-update', 'commission.country-codes', 'commission.currencies', 'commission.export-selected', 'commission.nationalities', 'commission.org-admin']);
  });

  it('commission.currencies: a plain array of ~50 currencies with country or null', async () => {
    const body = (await send('commission.currencies')).json();
    expect(Array.isArray(body)).toBe(true);
    expect(body.length).toBeGreaterThanOrEqual(50);
    expect(missingFields(contractEntry('commission.currencies'), body)).toEqual([]);
    expect(body.slice(0, 3).map((c: { code: string }) => c.code)).toEqual(['USD', 'EUR', 'GBP']);
    expect(body.find((c: { code: string }) => c.code === 'NPR')).toMatchObject({ numeric: '524', country: { alpha_2: 'NP', alpha_3: 'NPL', flag_emoji: '🇳🇵' } });
    expect(body.find((c: { code: string }) => c.code === 'EUR').country).toBeNull();
    // Reference data needs only a sign-in.
    expect((await t.app.inject(clientRequest(contractEntry('commission.currencies'), { token: org.users.verifier.token }))).statusCode).toBe(200);
  });

  it('commission.country-codes and commission.nationalities: arrays of at least 60 countries, popular first', async () => {
    const codes = (await send('commission.country-codes')).json();
    expect(codes.length).toBeGreaterThanOrEqual(60);
    expect(missingFields(contractEntry('commission.country-codes'), codes)).toEqual([]);
    expect(codes[0]).toMatchObject({ alpha_2: 'NP', calling_code: '+977', is_popular: true });
    expect(codes.every((c: { calling_code: string }) => /^\+\d{1,4}$/.test(c.calling_code))).toBe(true);
    const nations = (await send('commission.nationalities')).json();
    expect(missingFields(contractEntry('commission.nationalities'), nations)).toEqual([]);
    expect(nations.find((n: { alpha_2: string }) => n.alpha_2 === 'NP')).toMatchObject({ nationality: 'Nepalese', country_name: 'Nepal', alpha_3: 'NPL' });
  });

  it('commission.org-admin: camelCase rows of every salesperson, user_id as a string', async () => {
    const body = (await send('commission.org-admin')).json();
    expect(Array.isArray(body)).toBe(true);
    expect(missingFields(contractEntry('commission.org-admin'), body)).toEqual([]);
    const salesId = String(org.users.sales.id);
    const row = body.find((r: { user_id: string }) => r.user_id === salesId);
    expect(row).toMatchObject({ user_id: salesId, totalSales: '2000.00', currency: 'USD', rate: '1.00000000', percentage: '5.00', bonus: '0.00', penalty: '0.00', convertedAmt: '100.00' });
    expect(typeof row.user_id).toBe('string');
    expect(body.every((r: { user_id: unknown }) => typeof r.user_id === 'string')).toBe(true);
    expect(body.some((r: { user_id: string }) => r.user_id === String(other.users.sales.id))).toBe(false);
  });

  it('commission.bulk-update: the client\'s JSON array, refetched afterwards', async () => {
    const salesId = String(org.users.sales.id);
    const rows = (await send('commission.org-admin')).json() as Record<string, unknown>[];
    const payload = rows.filter((r) => r.user_id).map((r) => ({
      id: r.id, user_id: r.user_id, totalSales: Number(r.totalSales), currency: r.currency, rate: Number(r.rate), percentage: Number(r.percentage),
      bonus: r.user_id === salesId ? 150 : 0, penalty: r.user_id === salesId ? 20.5 : 0, start_date: '2024-01-01', end_date: '2024-12-31',
    }));
    const res = await send('commission.bulk-update', { body: payload });
    expect(res.json().message).toMatch(/updated/i);
    const after = (await send('commission.org-admin')).json().find((r: { user_id: string }) => r.user_id === salesId);
    // 100.00 + 150.00 − 20.50; the stored statement's id is a JSON integer like every entity id
    expect(after).toMatchObject({ bonus: '150.00', penalty: '20.50', totalReceivable: '229.50', id: expect.any(Number) });
    expect(Number.isInteger(after.id)).toBe(true);
  });

  it('commission.export-selected: a CSV blob of the selected users, correctly escaped', async () => {
    const res = await send('commission.export-selected', { query: { format: 'csv' }, body: { user_ids: [org.users.sales.id] } });
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain('selected_commissions.csv');
    const lines = res.body.trimEnd().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^User,Email,Period,/);
    expect(lines[1]).toMatch(/^"Smith, ""Jr"" Ram",sales\.commission-contract-org@example\.test,yearly,/);
    expect(lines[1]).toContain(',2000.00,USD,5.00,USD,1.00000000,100.00,');

    await h.q(sql`UPDATE users SET first_name = '=HYPERLINK("x")', last_name = '' WHERE id = ${org.users.sales.id}`);
    const formula = await send('commission.export-selected', { query: { format: 'csv' }, body: { user_ids: [org.users.sales.id] } });
    expect(formula.body.split('\r\n')[1]).toMatch(/^"'=HYPERLINK\(""x""\)",/);

    const json = await send('commission.export-selected', { query: { format: 'json' }, body: { user_ids: [org.users.sales.id] } });
    // The JSON export is the grid's row: user_id a string, the statement's id (stored by the bulk update above) an integer.
    expect(json.json()).toEqual([expect.objectContaining({ user_id: String(org.users.sales.id), id: expect.any(Number) })]);
  });

  it('commission.export-selected: 400 without ids, 404 for another organisation\'s user, 401 for "Token null"', async () => {
    const entry = contractEntry('commission.export-selected');
    const empty = await t.app.inject(clientRequest(entry, { token: org.users.admin.token, query: { format: 'csv' }, body: { user_ids: [] } }));
    expect(empty.statusCode).toBe(400);
    const foreign = await t.app.inject(clientRequest(entry, { token: org.users.admin.token, query: { format: 'csv' }, body: { user_ids: [other.users.sales.id] } }));
    expect(foreign.statusCode).toBe(404);
    const badFormat = await t.app.inject(clientRequest(entry, { token: org.users.admin.token, query: { format: 'xlsx' }, body: { user_ids: [org.users.sales.id] } }));
    expect(badFormat.statusCode).toBe(400);
    const stale = await t.app.inject(clientRequest(entry, { token: 'null', query: { format: 'csv' }, body: { user_ids: [org.users.sales.id] } }));
    expect(stale.statusCode).toBe(401);
  });
});
