// Defect 7 of issue 13: a file stored by a request whose work never committed (the process died
// between writing the file and committing its row) must not stay on disk for ever. Every upload
// is marked pending before it is written; the sweep (a recurring job) removes the files that no
// row references once their mark is older than UPLOAD_SWEEP_GRACE_SECONDS, and keeps the rest.
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { sweepOrphanUploads } from '../../src/core/files/sweep.ts';
import { withUploads } from '../../src/core/files/uploads.ts';
import type { FastifyRequest } from 'fastify';
import { multipartPayload } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { PDF, createClient, createDeal, today } from '../support/sales.ts';

let t: TestApp;
let org: TestOrg;
let dealCode: string;
beforeAll(async () => {
  t = await createTestApp({ env: { UPLOAD_SWEEP_GRACE_SECONDS: '0' } });
  org = await createOrg(t, 'Orphan Org');
  const client = await createClient(t, org.users.sales.token);
  dealCode = (await createDeal(t, org.users.sales.token, client.id, { deal_value: '100000' })).deal_id;
});
afterAll(() => t.close());

const media = () => `${t.config.dataDir}/media`;
const stored = (folder: string) => (existsSync(`${media()}/${folder}`) ? readdirSync(`${media()}/${folder}`).map((f) => `${folder}/${f}`) : []);

async function uploadReceipt(): Promise<string> {
  const body = multipartPayload({
    deal_id: dealCode, payment_date: today(), received_amount: '10.00', cheque_number: `CHK${Math.floor(Math.random() * 1e9)}`,
    payment_category: 'partial', payment_type: 'cheque', payment_remarks: 'orphan test',
    receipt_file: { filename: 'r.pdf', contentType: 'application/pdf', data: PDF },
  });
  const res = await t.app.inject({ method: 'POST', url: '/api/deals/payments/', payload: body.payload, headers: { ...body.headers, ...auth(org.users.sales.token) } });
  expect(res.statusCode, res.body).toBe(201);
  const [row] = await t.db.system((tx) => rows<{ receipt_key: string }>(tx, sql`SELECT receipt_key FROM payments WHERE organization_id = ${org.id} ORDER BY id DESC LIMIT 1`));
  return row!.receipt_key;
}

describe('files no row references are swept after the grace period', () => {
  it('removes a receipt whose request died before committing, and keeps the committed ones', async () => {
    const committed = await uploadReceipt();
    // What a request that died between storing its receipt and committing leaves behind.
    const orphan = await t.app.files.put('receipts', 'pdf', PDF);
    const picture = await t.app.files.put('profile_pics', 'png', PDF);
    await t.db.system((tx) => tx.execute(sql`UPDATE users SET profile_picture = ${`/media/${picture}`} WHERE id = ${org.users.sales.id}`));
    expect(stored('receipts')).toEqual(expect.arrayContaining([committed, orphan]));

    await t.app.jobRunner.runOnce(); // the recurring sweep is due at once on a starting runner

    expect(stored('receipts')).toContain(committed);
    expect(stored('receipts')).not.toContain(orphan);
    expect(stored('profile_pics')).toContain(picture);
    expect(await t.app.files.pending(0)).toEqual([]);
    expect((await t.app.files.read(committed))?.equals(PDF)).toBe(true);
  });

  it('keeps an unreferenced file while its upload is younger than the grace period', async () => {
    const young = await t.app.files.put('receipts', 'pdf', PDF);
    expect(await sweepOrphanUploads(t.app, 3600)).toEqual({ removed: 0, kept: 0 });
    expect(stored('receipts')).toContain(young);
    expect(await sweepOrphanUploads(t.app, 0)).toEqual({ removed: 1, kept: 0 });
    expect(stored('receipts')).not.toContain(young);
  });

  it('a failed request removes its files at once, but one that lost its connection leaves them to the sweep', async () => {
    const request = { server: t.app } as FastifyRequest;
    const storeThenFail = (error: Error & { code?: string }) =>
      withUploads(request, async (uploads) => {
        keys.push(await uploads.store('receipts', { kind: 'pdf', data: PDF, filename: 'r.pdf' }));
        throw error;
      }).catch(() => undefined);
    const keys: string[] = [];
    await storeThenFail(new Error('refused by a rule'));
    // The commit may have reached the server before the connection broke: only the sweep, which
    // sees whether a row references the file, may remove it.
    await storeThenFail(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
    const [refused, lost] = keys as [string, string];
    expect(stored('receipts')).not.toContain(refused);
    expect(stored('receipts')).toContain(lost);
    expect(await t.app.files.pending(0)).toEqual([lost]);
    expect(await sweepOrphanUploads(t.app, 0)).toEqual({ removed: 1, kept: 0 });
    expect(stored('receipts')).not.toContain(lost);
  });
});
