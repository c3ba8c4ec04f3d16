// Receipts are checked by extension, magic bytes, size and script content; a refused receipt
// stores nothing. Stored receipts are reachable only through a signed link.
import { readdirSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { multipartPayload } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { gif, handPdf, jpeg, noisyPng, objectStream, pdfkitPdf, qrPng } from '../support/files.ts';
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

type Upload = { filename: string; contentType: string; data: Buffer };
const pdf = (data: Buffer, filename = 'r.pdf'): Upload => ({ filename, contentType: 'application/pdf', data });
const png = (data: Buffer, filename = 'r.png'): Upload => ({ filename, contentType: 'image/png', data });
const jpg = (data: Buffer): Upload => ({ filename: 'r.jpg', contentType: 'image/jpeg', data });
const CATALOG = '<< /Type /Catalog /Pages 2 0 R >>';
const PAGES = '<< /Type /Pages /Kids [] /Count 0 >>';
const MARKUP = '<body onmouseover=alert(document.cookie)>';

/** Refused with a 400 on the file field, nothing stored and no payment created. */
async function expectRefused(file: Upload, message: RegExp) {
  const before = { files: storedCount(), payments: await paymentCount() };
  const res = await upload(file);
  expect(res.statusCode, res.body).toBe(400);
  expect(res.json().receipt_file[0]).toMatch(message);
  expect(storedCount()).toBe(before.files);
  expect(await paymentCount()).toBe(before.payments);
}

describe('receipt content filter (issue 13, defect 8)', () => {
  it('accepts real-looking images and PDFs: noisy PNG, QR PNG, JPEG with XMP, pdfkit with an image', async () => {
    const accepted: Upload[] = [
      png(noisyPng()),
      png(await qrPng()),
      jpg(jpeg()),
      { filename: 'r.gif', contentType: 'image/gif', data: gif() },
      // Markup-like bytes inside compressed pixel data occur by chance and draw nothing.
      jpg(jpeg({ scan: Buffer.concat([Buffer.alloc(500, 0x11), Buffer.from('<img src=1 x onmouseover=1'), Buffer.alloc(500, 0x22)]) })),
      pdf(await pdfkitPdf()),
      pdf(await pdfkitPdf({ image: await qrPng() })),
      pdf(handPdf('<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>', PAGES)),
      pdf(handPdf(CATALOG, PAGES, objectStream('3 0 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'))),
      // Short names inside image bytes occur by chance (a 10 MB scan holds `/JS` once in thirty).
      pdf(handPdf(CATALOG, PAGES, '<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length 24 >>\nstream\n\xff\xd8/JS(\x93/AA<<\x01/URI(\x07\xff\xd9\nendstream')),
    ];
    for (const file of accepted) expect((await upload(file)).statusCode).toBe(201);
  });

  const refused: [string, () => Promise<Upload> | Upload, RegExp][] = [
    ['markup after a PNG\'s IEND', async () => png(Buffer.concat([await qrPng(), Buffer.from(MARKUP)])), /script/],
    ['markup after a noisy PNG\'s IEND', async () => png(Buffer.concat([noisyPng(), Buffer.from('<img src=x>')])), /script/],
    ['markup after a JPEG\'s EOI', () => jpg(jpeg({ after: Buffer.from(MARKUP) })), /script/],
    ['markup after a GIF\'s trailer', () => ({ filename: 'r.gif', contentType: 'image/gif', data: gif({ after: Buffer.from(MARKUP) }) }), /script/],
    ['markup in a GIF comment', () => ({ filename: 'r.gif', contentType: 'image/gif', data: gif({ comment: MARKUP }) }), /script/],
    ['markup in a JPEG comment', () => jpg(jpeg({ comment: `Taken at ${MARKUP}` })), /script/],
    ['a hex-escaped /JavaScript name', () => pdf(handPdf('<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>', PAGES, '<< /S /J#61vaScript /J#53 (app.alert(1)) >>')), /\(\/JavaScript/],
    ['a /Launch action', () => pdf(handPdf(CATALOG, PAGES, '<< /S /Launch /F (cmd.exe) >>')), /\/Launch/],
    ['a /SubmitForm action', () => pdf(handPdf(CATALOG, PAGES, '<< /S /SubmitForm /F (https://evil.example/) >>')), /\/SubmitForm/],
    ['a /URI action (pdfkit link)', async () => pdf(await pdfkitPdf({ link: 'https://bank.example/' })), /\/URI/],
    ['an /OpenAction dictionary', () => pdf(handPdf('<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Named /N /Print >> >>', PAGES)), /\/OpenAction/],
    ['additional actions (/AA)', () => pdf(handPdf('<< /Type /Catalog /Pages 2 0 R /AA << /WC 3 0 R >> >>', PAGES)), /\/AA/],
    // An xref entry may point into another stream's bytes: the viewer reads an object there.
    ['an action inside another stream\'s bytes', () => pdf(handPdf(CATALOG, PAGES, '<< /Length 60 >>\nstream\n6 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\nendstream')), /\/JavaScript/],
    ['an embedded file', () => pdf(handPdf(CATALOG, PAGES, '<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream')), /\/EmbeddedFile/],
    ['/JavaScript inside a compressed object stream', () => pdf(handPdf(CATALOG, PAGES, objectStream('4 0 << /S /JavaScript /JS (app.alert(1)) >>'))), /\/JavaScript/],
    ['an escaped /Launch inside an object stream', () => pdf(handPdf(CATALOG, PAGES, objectStream('4 0 << /S /#4C#61unch /F (x.exe) >>'))), /\/Launch/],
    ['an object stream that inflates past the limit (zip bomb)', () => pdf(handPdf(CATALOG, PAGES, objectStream(Buffer.alloc(64 * 1024 * 1024, 0x20)))), /too large when decompressed/],
    ['an object stream that is not valid Flate data', () => pdf(handPdf(CATALOG, PAGES, Buffer.from('<< /Type /ObjStm /Filter /FlateDecode >>\nstream\nnot zlib\nendstream'))), /cannot be inspected/],
  ];
  for (const [name, make, message] of refused) {
    it(`refuses ${name}`, async () => expectRefused(await make(), message));
  }

  const badNames = ['..', '.', '../r.pdf', 'dir/r.pdf', '..\\r.pdf', 'r\u0001.pdf', ' . '];
  for (const filename of badNames) {
    it(`refuses a file named ${JSON.stringify(filename)} instead of dropping it`, async () => expectRefused(pdf(PDF, filename), /file name/));
  }
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
