// Receipts on S3-compatible storage, against a real S3 protocol server (s3rver) on loopback:
// stored through signed requests, served through PRS's signed links, cleaned up on failure.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { S3FileStorage } from '../../src/core/files/s3-storage.ts';
import { sweepOrphanUploads } from '../../src/core/files/sweep.ts';
import { multipartPayload } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { PDF, createClient, createDeal, today } from '../support/sales.ts';

let server: S3rver;
let endpoint: string;
let t: TestApp;
let org: TestOrg;
const BUCKET = 'prs-receipts';

beforeAll(async () => {
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: mkdtempSync(join(tmpdir(), 's3rver-')), configureBuckets: [{ name: BUCKET, configs: [] }] });
  const address = (await server.run()) as { port: number };
  endpoint = `http://127.0.0.1:${address.port}`;
  t = await createTestApp({ env: { S3_ENDPOINT: endpoint, S3_BUCKET: BUCKET, S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' } });
  org = await createOrg(t, 'S3 Org');
});
afterAll(async () => {
  await t.close();
  await server.close();
});

const storage = () => new S3FileStorage({ endpoint, bucket: BUCKET, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

describe('S3-compatible storage', () => {
  it('stores, reads and removes objects with signed requests', async () => {
    const s = storage();
    const key = await s.put('receipts', 'pdf', PDF);
    expect((await s.read(key))?.equals(PDF)).toBe(true);
    await s.remove(key);
    expect(await s.read(key)).toBeUndefined();
    await expect(new S3FileStorage({ endpoint, bucket: BUCKET, region: 'us-east-1', accessKeyId: 'NOT-A-KEY', secretAccessKey: 'wrong' }).put('receipts', 'pdf', PDF)).rejects.toThrow(/refused/);
  });

  it('a receipt uploaded to PRS lands in the bucket and is served through the signed link', async () => {
    const client = await createClient(t, org.users.sales.token);
    const deal = await createDeal(t, org.users.sales.token, client.id);
    const body = multipartPayload({
      deal_id: deal.deal_id, payment_date: today(), received_amount: '10', cheque_number: 'S3CHQ0001', payment_category: 'partial',
      payment_type: 'cheque', payment_remarks: 'x', receipt_file: { filename: 'r.pdf', contentType: 'application/pdf', data: PDF },
    });
    const res = await t.app.inject({ method: 'POST', url: '/api/deals/payments/', payload: body.payload, headers: { ...body.headers, ...auth(org.users.sales.token) } });
    expect(res.statusCode, res.body).toBe(201);
    const link = new URL(res.json().receipt_file as string);
    const key = link.pathname.replace('/media/private/', '');
    expect((await storage().read(key))?.equals(PDF)).toBe(true);
    const served = await t.app.inject({ method: 'GET', url: link.pathname + link.search });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.equals(PDF)).toBe(true);
  });

  it('removes stored receipts again when the request fails after they were uploaded', async () => {
    const client = await createClient(t, org.users.sales.token);
    // The first payment's receipt is uploaded, then the second payment's cheque number is
    // found to be taken (by the previous test): the whole deal fails and the upload goes.
    const body = multipartPayload({
      // A form field is text: the client's id (a JSON integer in the answer) as the browser sends it.
      client_id: String(client.id), deal_name: 'Two payments', deal_value: '100', payment_method: 'cheque', deal_date: today(),
      'payments[0][payment_date]': today(), 'payments[0][received_amount]': '10', 'payments[0][cheque_number]': 'S3CHQ0002',
      'payments[0][receipt_file]': { filename: 'a.pdf', contentType: 'application/pdf', data: PDF },
      'payments[1][payment_date]': today(), 'payments[1][received_amount]': '10', 'payments[1][cheque_number]': 'S3CHQ0001',
    });
    const res = await t.app.inject({ method: 'POST', url: '/api/deals/deals/', payload: body.payload, headers: { ...body.headers, ...auth(org.users.sales.token) } });
    expect(res.statusCode).toBe(409);
    expect(res.json().payments[1].cheque_number).toBeDefined();
    const listing = await fetch(`${endpoint}/${BUCKET}?list-type=2&prefix=receipts/`).then((r) => r.text());
    const keys = [...listing.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
    expect(keys).toHaveLength(1); // only the receipt of the previous test
  });

  it('sweeps an object whose request never committed, and settles the referenced ones (issue 13 defect 7)', async () => {
    const s = storage();
    const orphan = await s.put('receipts', 'pdf', PDF);
    const kept = await s.put('receipts', 'pdf', PDF);
    await t.db.system((tx) => tx.execute(sql`UPDATE users SET profile_picture = ${`/media/${kept}`} WHERE id = ${org.users.sales.id}`));
    expect(await s.pending(0)).toEqual(expect.arrayContaining([orphan, kept]));
    expect(await sweepOrphanUploads(t.app, 3600)).toEqual({ removed: 0, kept: 0 });
    const swept = await sweepOrphanUploads(t.app, 0);
    expect(swept.removed).toBeGreaterThanOrEqual(1);
    expect(await s.read(orphan)).toBeUndefined();
    expect((await s.read(kept))?.equals(PDF)).toBe(true);
    expect(await s.pending(0)).toEqual([]);
  });
});
