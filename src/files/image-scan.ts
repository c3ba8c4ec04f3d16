// The parts of a PNG or JPEG that can carry text a browser might read as markup: every chunk
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
