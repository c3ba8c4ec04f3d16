// Issue 13 defect 7 and crash consistency: a PRS server process is killed (SIGKILL) while
// concurrent multipart receipt uploads are in flight. After a restart (the upload sweep's grace
// period set to 0, so the sweep on start removes what the dead process left): no payment without
// its receipt file or its invoice row, no receipt file without its payment, no pending marks, and
// every deal's derived money (verified total, payment count, payment status) equals a rebuild from
// its payment rows.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartPayload } from '../contract/contract.ts';
import { PDF, today } from '../support/sales.ts';
import { PostgresCluster, faultSuiteUnavailable } from './support/postgres.ts';
import { login, sleep, startPrs, tally, underLoad, type Prs } from './support/load.ts';

const unavailable = faultSuiteUnavailable();
let cluster: PostgresCluster;
let prs: Prs | undefined;

beforeAll(async () => {
  if (unavailable) return;
  cluster = await PostgresCluster.create();
}, 240_000);

afterAll(() => {
  prs?.process.child.kill('SIGKILL');
  if (prs) rmSync(prs.dataDir, { recursive: true, force: true });
  cluster?.destroy();
});

const files = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

async function createDeal(p: Prs, token: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const client = await fetch(`${p.base}/api/clients/`, {
    method: 'POST', headers,
    body: JSON.stringify({ client_name: 'Crash Imports', email: `crash-${Date.now()}@example.test`, phone_number: '+9779812345678', nationality: 'Nepalese' }),
  });
  const clientId = ((await client.json()) as { id: string }).id;
  const deal = await fetch(`${p.base}/api/deals/`, {
    method: 'POST', headers,
    body: JSON.stringify({ client_id: clientId, deal_name: 'Crash test', deal_value: '1000000.00', currency: 'USD', deal_date: today(), payment_method: 'cheque', source_type: 'referral' }),
  });
  expect(deal.status).toBe(201);
  return ((await deal.json()) as { deal_id: string }).deal_id;
}

const uploadReceipt = (p: Prs, token: string, dealCode: string) => () => {
  const body = multipartPayload({
    deal_id: dealCode, payment_date: today(), received_amount: '10.00', cheque_number: `CHK${Math.floor(Math.random() * 1e12)}`,
    payment_category: 'partial', payment_type: 'cheque', payment_remarks: 'kill -9 test',
    // A larger receipt keeps the process busy writing files when the kill lands.
    receipt_file: { filename: 'r.pdf', contentType: 'application/pdf', data: Buffer.concat([PDF, Buffer.alloc(256 * 1024, 0x20)]) },
  });
  return fetch(`${p.base}/api/deals/payments/`, { method: 'POST', headers: { ...body.headers, authorization: `Bearer ${token}` }, body: body.payload });
};

describe.skipIf(unavailable)('kill -9 during concurrent receipt uploads', () => {
  it('leaves no partial records, no orphan files after the sweep, and consistent deal money', async () => {
    const first = await startPrs(cluster.url);
    prs = first;
    const token = await login(first);
    const dealCode = await createDeal(first, token);

    const kill = (async () => {
      await sleep(1500);
      first.process.child.kill('SIGKILL');
      await first.process.exited;
    })();
    const outcomes = await underLoad(10, uploadReceipt(first, token, dealCode), kill);
    const summary = JSON.stringify(tally(outcomes));
    expect(outcomes.filter((o) => o.status === 201).length, summary).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.status !== 201 && o.status !== 'network'), summary).toEqual([]);

    // Restart on the same data directory; the sweep on start removes files no row references.
    const second = await startPrs(cluster.url, { UPLOAD_SWEEP_GRACE_SECONDS: '0', JOBS_POLL_INTERVAL_MS: '200' }, first.dataDir);
    prs = second;
    const media = join(first.dataDir, 'media');
    const pendingMarks = () => files(join(media, '.pending', 'receipts'));
    const deadline = Date.now() + 60_000;
    while (pendingMarks().length && Date.now() < deadline) await sleep(250);

    const payments = await cluster.query<{ id: string; receipt_key: string | null; invoice: boolean }>(
      `SELECT p.id, p.receipt_key, EXISTS (SELECT 1 FROM invoices i WHERE i.payment_id = p.id) AS invoice
       FROM payments p JOIN deals d ON d.id = p.deal_id WHERE d.deal_code = $1`,
      [dealCode],
    );
    expect(payments.length).toBeGreaterThanOrEqual(outcomes.filter((o) => o.status === 201).length);
    expect(payments.filter((p) => !p.receipt_key || !p.invoice)).toEqual([]);
    for (const p of payments) expect(existsSync(join(media, p.receipt_key!)), p.receipt_key!).toBe(true);

    const referenced = new Set((await cluster.query<{ receipt_key: string }>(`SELECT receipt_key FROM payments WHERE receipt_key IS NOT NULL`)).map((r) => r.receipt_key));
    const orphans = files(join(media, 'receipts')).filter((f) => !referenced.has(`receipts/${f}`));
    expect(orphans).toEqual([]);
    expect(pendingMarks()).toEqual([]);

    // The deals' derived money equals a rebuild from the payment rows (the formula of refreshDealMoneySql).
    const drift = await cluster.query(`
      WITH money AS (
        SELECT d.id, d.verified_total, d.payment_count, d.payment_status,
               COALESCE(sum(p.verified_amount) FILTER (WHERE p.status = 'verified'), 0) AS rebuilt_total,
               count(p.id)::int AS rebuilt_count, d.deal_value, d.declared_payment_status
        FROM deals d LEFT JOIN payments p ON p.deal_id = d.id GROUP BY d.id)
      SELECT * FROM money
      WHERE verified_total <> rebuilt_total OR payment_count <> rebuilt_count
         OR payment_status <> CASE WHEN rebuilt_total >= deal_value THEN 'full_payment' WHEN rebuilt_total > 0 THEN 'partial_payment' ELSE declared_payment_status END`);
    expect(drift).toEqual([]);

    // And the restarted process serves uploads again.
    const again = await uploadReceipt(second, await login(second), dealCode)();
    expect(again.status).toBe(201);
  }, 240_000);
});
