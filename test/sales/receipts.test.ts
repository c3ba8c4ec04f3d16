// Receipts are checked by extension, magic bytes, size and script content; a refused receipt
// stores nothing. Stored receipts are reachable only through a signed link.
import { readdirSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/db/database.ts';
import { multipartPayload } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { PDF, PNG, createClient, createDeal, today } from '../support/sales.ts';

let t: TestApp;
let org: TestOrg;
let dealCode: string;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Receipt Org');
  const client = await createClient(t, org.users.sales.token);
  dealCode = (await createDeal(t, org.users.sales.token, client.id, { deal_value: '100000' })).deal_id;
});
afterAll(() => t.close());

const receiptsDir = () => `${t.config.dataDir}/media/receipts`;
const storedCount = () => (existsSync(receiptsDir()) ? readdirSync(receiptsDir()).length : 0);

function upload(file: { filename: string; contentType: string; data: Buffer }) {
  const body = multipartPayload({
    deal_id: dealCode,
    payment_date: today(),
    received_amount: '10.00',
    cheque_number: `CHK${Math.floor(Math.random() * 1e9)}`,
    payment_category: 'partial',
    payment_type: 'cheque',
    payment_remarks: 'receipt test',
    receipt_file: file,
  });
  return t.app.inject({ method: 'POST', url: '/api/deals/payments/', payload: body.payload, headers: { ...body.headers, ...auth(org.users.sales.token) } });
}

async function paymentCount() {
  const [row] = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM payments WHERE organization_id = ${org.id}`));
  return row?.n ?? 0;
}

describe('receipt checks', () => {
  it('accepts a real PDF and PNG', async () => {
    expect((await upload({ filename: 'r.pdf', contentType: 'application/pdf', data: PDF })).statusCode).toBe(201);
    expect((await upload({ filename: 'r.PNG', contentType: 'image/png', data: PNG })).statusCode).toBe(201);
  });

  const refused: [string, { filename: string; contentType: string; data: Buffer }, RegExp][] = [
    ['a renamed executable', { filename: 'receipt.pdf', contentType: 'application/pdf', data: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]) }, /does not match/],
    ['an ELF binary named .png', { filename: 'receipt.png', contentType: 'image/png', data: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(64)]) }, /does not match/],
    ['an HTML file named .png', { filename: 'receipt.png', contentType: 'image/png', data: Buffer.from('<html><body><script>alert(1)</script></body></html>') }, /does not match/],
    ['a PDF with JavaScript', { filename: 'receipt.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4\n1 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj') }, /script/],
    ['a PNG carrying a script tag', { filename: 'receipt.png', contentType: 'image/png', data: Buffer.concat([PNG, Buffer.from('<script>evil()</script>')]) }, /script/],
    ['an .exe', { filename: 'receipt.exe', contentType: 'application/octet-stream', data: Buffer.from('MZ....') }, /Unsupported file type/],
    ['a file without extension', { filename: 'receipt', contentType: 'application/pdf', data: PDF }, /Unsupported file type/],
  ];
  for (const [name, file, message] of refused) {
    it(`refuses ${name} with a clear 400 and stores nothing`, async () => {
      const before = { files: storedCount(), payments: await paymentCount() };
      const res = await upload(file);
      expect(res.statusCode).toBe(400);
      expect(res.json().receipt_file[0]).toMatch(message);
      expect(res.json().message).toBeUndefined(); // bare DRF field map on this web-client route
      expect(storedCount()).toBe(before.files);
      expect(await paymentCount()).toBe(before.payments);
    });
  }

  it('refuses a receipt over 10 MB with a 400 and stores nothing', async () => {
    const before = { files: storedCount(), payments: await paymentCount() };
    const big = Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024 + 10, 0x20)]);
    const res = await upload({ filename: 'big.pdf', contentType: 'application/pdf', data: big });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toMatch(/10 MB/);
    expect(storedCount()).toBe(before.files);
    expect(await paymentCount()).toBe(before.payments);
  });
});

describe('receipt access', () => {
  it('is served through a signed link only; a tampered or expired link is refused', async () => {
    const res = await upload({ filename: 'r.pdf', contentType: 'application/pdf', data: PDF });
    const link = new URL(res.json().receipt_file as string);
    expect((await t.app.inject({ method: 'GET', url: link.pathname + link.search })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: link.pathname })).statusCode).toBe(400);
    const tampered = link.search.replace(/signature=[^&]+/, 'signature=AAAA');
    expect((await t.app.inject({ method: 'GET', url: link.pathname + tampered })).statusCode).toBe(404);
    const expired = link.search.replace(/expires=\d+/, 'expires=1000');
    expect((await t.app.inject({ method: 'GET', url: link.pathname + expired })).statusCode).toBe(404);
  });
});
