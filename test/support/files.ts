// Real-looking uploads for the content filter: images with compressed pixel data that holds
// arbitrary bytes, and PDFs written by pdfkit or by hand (object streams included).
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer) => (b.reduce((c, byte) => (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;

const pngChunk = (type: string, data: Buffer) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
};

/** A PNG as a phone or scanner writes it: noisy RGBA pixels, so its compressed data is close to random. */
export function noisyPng(size = 400): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const rows = Array.from({ length: size }, () => Buffer.concat([Buffer.from([0]), randomBytes(size * 4)]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('tEXt', Buffer.from('Software\0PRS test scanner 1.0', 'latin1')),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export const qrPng = (text = 'PRS receipt 0001') => QRCode.toBuffer(text, { width: 300 });

const segment = (marker: number, body: Buffer) => {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xff00 | marker, 0);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
};

/** Entropy-coded bytes as an encoder writes them: every 0xFF followed by a stuffed 0x00. */
const entropyCoded = (raw: Buffer) => Buffer.from([...raw].flatMap((b) => (b === 0xff ? [0xff, 0x00] : [b])));

/** A baseline JPEG's structure: JFIF, XMP, tables, one scan of `scan` bytes, EOI, then `after`. */
export function jpeg(opts: { scan?: Buffer; comment?: string; after?: Buffer } = {}): Buffer {
  const xmp = Buffer.from(
    'http://ns.adobe.com/xap/1.0/\0<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">' +
      '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" ' +
      'xmp:CreatorTool="Pixel 8 HDR+ 1.0" xmp:CreateDate="2026-12-01T10:00:00"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>',
    'utf8',
  );
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')),
    segment(0xe1, xmp),
    ...(opts.comment ? [segment(0xfe, Buffer.from(opts.comment, 'latin1'))] : []),
    segment(0xdb, Buffer.concat([Buffer.from([0]), randomBytes(64)])),
    segment(0xc0, Buffer.from([8, 0, 16, 0, 16, 1, 1, 0x11, 0])),
    segment(0xc4, Buffer.concat([Buffer.from([0]), Buffer.alloc(16, 1), randomBytes(16)])),
    segment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])),
    entropyCoded(opts.scan ?? randomBytes(200_000)),
    Buffer.from([0xff, 0xd9]),
    opts.after ?? Buffer.alloc(0),
  ]);
}

/** A PDF written by pdfkit; `link` adds a link annotation (a `/URI` action). */
export function pdfkitPdf(opts: { image?: Buffer; link?: string } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4' });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(14).text('Receipt 0001 — 10.00 USD received');
    if (opts.image) doc.image(opts.image, { width: 200 });
    if (opts.link) doc.text('Bank', { link: opts.link });
    doc.end();
  });
}

/** A minimal PDF around the given objects (each `N 0 obj … endobj` body). */
export function handPdf(...objects: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  objects.forEach((body, i) => parts.push(Buffer.from(`${i + 1} 0 obj\n`), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'), Buffer.from('\nendobj\n')));
  parts.push(Buffer.from('trailer\n<< /Root 1 0 R >>\n%%EOF\n'));
  return Buffer.concat(parts);
}

/** An object stream (`/ObjStm`) holding `inner`, Flate-compressed. */
export function objectStream(inner: string | Buffer): Buffer {
  const data = deflateSync(Buffer.isBuffer(inner) ? inner : Buffer.from(inner, 'latin1'));
  return Buffer.concat([Buffer.from(`<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`), data, Buffer.from('\nendstream')]);
}

/** A GIF: 1×1 with a comment, then `frames` images whose data sub-blocks are noise. */
export function gif(opts: { frames?: number; comment?: string; after?: Buffer } = {}): Buffer {
  const subBlocks = (data: Buffer) => {
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i += 255) {
      const part = data.subarray(i, i + 255);
      out.push(Buffer.from([part.length]), part);
    }
    return Buffer.concat([...out, Buffer.from([0])]);
  };
  const frame = () => Buffer.concat([Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 8]), subBlocks(randomBytes(20_000))]);
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    Buffer.from([1, 0, 1, 0, 0x80, 0, 0]), // 1×1, a two-colour global table
    Buffer.from([0, 0, 0, 255, 255, 255]),
    Buffer.from([0x21, 0xfe]),
    subBlocks(Buffer.from(opts.comment ?? 'Scanned by PRS test', 'latin1')),
    ...Array.from({ length: opts.frames ?? 3 }, frame),
    Buffer.from([0x3b]),
    opts.after ?? Buffer.alloc(0),
  ]);
}

/** A lossy WebP's RIFF structure: a VP8 chunk of noise and an XMP chunk, then `after`. */
export function webp(opts: { xmp?: string; after?: Buffer } = {}): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32LE(data.length, 4);
    return Buffer.concat([head, data, data.length % 2 ? Buffer.from([0]) : Buffer.alloc(0)]);
  };
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), chunk('VP8 ', randomBytes(30_001)), chunk('XMP ', Buffer.from(opts.xmp ?? '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>', 'latin1'))]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length, 0);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), size, body, opts.after ?? Buffer.alloc(0)]);
}
