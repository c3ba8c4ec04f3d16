// The parts of an image (PNG, JPEG, GIF, WebP) that can carry text a browser might read as markup: every chunk
// or segment but the pixel data (text chunks, comments, EXIF/XMP, private chunks) and anything
// appended after the image's end marker. Pixel data is compressed and holds any byte sequence
// by chance, so short markup patterns are matched only against the other parts.

export interface ImageParts {
  metadata: Buffer[];
  /** Bytes after IEND / EOI: nothing a viewer draws; a polyglot's usual hiding place. */
  trailing: Buffer;
}

/** Chunks of compressed pixel data (APNG frames included). */
const PNG_PIXEL_CHUNKS = new Set(['IDAT', 'fdAT']);

/** Walks a PNG's chunks up to IEND; undefined when the structure is broken. */
export function pngParts(b: Buffer): ImageParts | undefined {
  const metadata: Buffer[] = [];
  let at = 8;
  while (at + 12 <= b.length) {
    const length = b.readUInt32BE(at);
    const type = b.subarray(at + 4, at + 8).toString('latin1');
    const end = at + 12 + length;
    if (end > b.length) return undefined;
    if (!PNG_PIXEL_CHUNKS.has(type)) metadata.push(b.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') return { metadata, trailing: b.subarray(end) };
    at = end;
  }
  return undefined;
}

/** Walks a JPEG's segments and entropy-coded scans up to EOI; undefined when broken. */
export function jpegParts(b: Buffer): ImageParts | undefined {
  const metadata: Buffer[] = [];
  let at = 2; // after SOI
  while (at + 1 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd9) return { metadata, trailing: b.subarray(at + 2) };
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // standalone markers
      continue;
    }
    if (at + 4 > b.length) return undefined;
    const length = b.readUInt16BE(at + 2);
    const end = at + 2 + length;
    if (length < 2 || end > b.length) return undefined;
    metadata.push(b.subarray(at + 4, end)); // tables, APPn (EXIF, XMP, ICC, …), COM

    at = end;
    if (marker === 0xda) at = skipEntropyCoded(b, at);
  }
  return undefined;
}

/** Walks a GIF's blocks up to its trailer (0x3B); image data is pixels, extensions metadata. */
export function gifParts(b: Buffer): ImageParts | undefined {
  const metadata: Buffer[] = [];
  const colourTable = (packed: number) => (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  let at = 13 + colourTable(b[10] ?? 0);
  while (at < b.length) {
    const block = b[at];
    if (block === 0x3b) return { metadata, trailing: b.subarray(at + 1) };
    if (block === 0x21) {
      const end = subBlocksEnd(b, at + 2);
      if (end === undefined) return undefined;
      metadata.push(b.subarray(at + 2, end));
      at = end;
    } else if (block === 0x2c) {
      const end = subBlocksEnd(b, at + 10 + colourTable(b[at + 9] ?? 0) + 1); // descriptor, table, LZW code size
      if (end === undefined) return undefined;
      at = end;
    } else return undefined;
  }
  return undefined;
}

/** After a run of GIF sub-blocks (a size byte, that many bytes, … a zero size). */
function subBlocksEnd(b: Buffer, from: number): number | undefined {
  let at = from;
  while (at < b.length) {
    const size = b[at] ?? 0;
    at += 1 + size;
    if (size === 0) return at;
  }
  return undefined;
}

/** Pixel chunks of a WebP (lossy, lossless, alpha, animation frames). */
const WEBP_PIXEL_CHUNKS = new Set(['VP8 ', 'VP8L', 'ALPH', 'ANMF']);

/** Walks a WebP's RIFF chunks; the RIFF size says where the image ends. */
export function webpParts(b: Buffer): ImageParts | undefined {
  if (b.length < 12) return undefined;
  const end = 8 + b.readUInt32LE(4);
  if (end > b.length) return undefined;
  const metadata: Buffer[] = [];
  let at = 12;
  while (at + 8 <= end) {
    const type = b.subarray(at, at + 4).toString('latin1');
    const size = b.readUInt32LE(at + 4);
    if (at + 8 + size > end) return undefined;
    if (!WEBP_PIXEL_CHUNKS.has(type)) metadata.push(b.subarray(at + 8, at + 8 + size));
    at += 8 + size + (size % 2);
  }
  return { metadata, trailing: b.subarray(end) };
}

/** In a scan, 0xFF is followed by 0x00 (a stuffed byte) or a restart marker; anything else ends it. */
function skipEntropyCoded(b: Buffer, from: number): number {
  let at = from;
  for (;;) {
    at = b.indexOf(0xff, at);
    if (at < 0 || at + 1 >= b.length) return b.length;
    const next = b[at + 1] ?? 0;
    if (next === 0x00 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) at += next === 0xff ? 1 : 2;
    else return at;
  }
}
