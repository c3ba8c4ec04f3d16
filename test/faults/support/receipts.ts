// Receipt uploads as load (a payment row, its invoice row, a receipt file and the deal's derived
// money in one request), and the consistency every fault must leave behind.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { multipartPayload } from '../../contract/contract.ts';
import { PDF, today } from '../../support/sales.ts';
import { sleep, type Prs } from './load.ts';
import type { PostgresCluster } from './postgres.ts';

const files = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
const media = (dataDir: string) => join(dataDir, 'media');
export const pendingMarks = (dataDir: string) => files(join(media(dataDir), '.pending', 'receipts'));

/** A client and a large cheque deal to record payments on; returns the deal's code. */
export async function createDeal(p: Prs, token: string): Promise<string> {
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

/** One multipart payment with a receipt, as the web client records it. */
export const uploadReceipt = (p: Prs, token: string, dealCode: string) => () => {
  const body = multipartPayload({
    deal_id: dealCode, payment_date: today(), received_amount: '10.00', cheque_number: `CHK${Math.floor(Math.random() * 1e12)}`,
    payment_category: 'partial', payment_type: 'cheque', payment_remarks: 'fault test',
    // A larger receipt keeps the process busy writing files when the fault lands.
    receipt_file: { filename: 'r.pdf', contentType: 'application/pdf', data: Buffer.concat([PDF, Buffer.alloc(256 * 1024, 0x20)]) },
  });
  return fetch(`${p.base}/api/deals/payments/`, { method: 'POST', headers: { ...body.headers, authorization: `Bearer ${token}` }, body: body.payload });
};

/** Waits until the upload sweep has settled or removed every pending receipt. */
export async function sweptClean(dataDir: string) {
  const deadline = Date.now() + 60_000;
  while (pendingMarks(dataDir).length && Date.now() < deadline) await sleep(250);
  expect(pendingMarks(dataDir)).toEqual([]);
}

/**
 * No partial records: every payment has its receipt file and its invoice row; a receipt file no
 * row references is still marked pending (so the sweep will remove it), or with `swept` there is
 * none at all; and every deal's derived money (verified total, payment count, payment status)
 * equals a rebuild from its payment rows (the formula of refreshDealMoneySql).
 */
export async function expectConsistent(cluster: PostgresCluster, dataDir: string, options: { swept: boolean }) {
  const payments = await cluster.query<{ id: string; receipt_key: string | null; invoice: boolean }>(
    `SELECT p.id, p.receipt_key, EXISTS (SELECT 1 FROM invoices i WHERE i.payment_id = p.id) AS invoice
     FROM payments p JOIN deals d ON d.id = p.deal_id WHERE d.deal_name = 'Crash test'`,
  );
  expect(payments.filter((p) => !p.receipt_key || !p.invoice)).toEqual([]);
  for (const p of payments) expect(existsSync(join(media(dataDir), p.receipt_key!)), p.receipt_key!).toBe(true);

  const referenced = new Set((await cluster.query<{ receipt_key: string }>(`SELECT receipt_key FROM payments WHERE receipt_key IS NOT NULL`)).map((r) => r.receipt_key));
  const pending = new Set(pendingMarks(dataDir));
  const unreferenced = files(join(media(dataDir), 'receipts')).filter((f) => !referenced.has(`receipts/${f}`));
  expect(options.swept ? unreferenced : unreferenced.filter((f) => !pending.has(f)), 'receipt files no row references').toEqual([]);

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
  return payments.length;
}
