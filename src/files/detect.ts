// What a file really is, from its first bytes, and whether it carries script content. Used for
// receipts, invoices and profile pictures: the extension must agree with the bytes.

export type FileKind = 'pdf' | 'png' | 'jpeg' | 'gif' | 'webp' | 'doc' | 'docx';

const SIGNATURES: { kind: FileKind; test: (b: Buffer) => boolean }[] = [
  { kind: 'pdf', test: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
  { kind: 'png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { kind: 'jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { kind: 'gif', test: (b) => ['GIF87a', 'GIF89a'].includes(b.subarray(0, 6).toString('latin1')) },
  { kind: 'webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  // Legacy Office compound file.
  { kind: 'doc', test: (b) => b.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) },
  // Office Open XML is a zip whose entries name word/.
  { kind: 'docx', test: (b) => b.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) && b.includes('word/') },
];

const EXTENSIONS: Record<string, FileKind> = {
  pdf: 'pdf', png: 'png', jpg: 'jpeg', jpeg: 'jpeg', gif: 'gif', webp: 'webp', doc: 'doc', docx: 'docx',
};

export const MIME_TYPES: Record<FileKind, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export function detectKind(data: Buffer): FileKind | undefined {
  return SIGNATURES.find((s) => s.test(data))?.kind;
}

export function extensionKind(filename: string): FileKind | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase();
  return ext ? EXTENSIONS[ext] : undefined;
}

// Markup or code that a browser or PDF viewer could execute.
const SCRIPT_PATTERNS = [/<script[\s>]/i, /<\?php/i, /javascript:/i, /<iframe[\s>]/i, /\bon(load|error|click)\s*=/i, /<svg[\s>]/i, /<html[\s>]/i, /\/JavaScript\s*</, /\/JS\s*\(/, /\/Launch\b/];

export function containsScript(data: Buffer): boolean {
  // Compressed PDF streams and image data rarely match by chance; the text view catches the rest.
  const text = data.toString('latin1');
  return SCRIPT_PATTERNS.some((p) => p.test(text));
}

export interface FileCheck {
  ok: boolean;
  kind?: FileKind;
  problem?: string;
}

/** Accepts a file only if its extension is allowed, its bytes match the extension and it carries no script. */
export function checkUpload(file: { filename: string; data: Buffer }, allowed: readonly FileKind[], maxBytes: number): FileCheck {
  if (file.data.length === 0) return { ok: false, problem: 'The file is empty.' };
  if (file.data.length > maxBytes) return { ok: false, problem: `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB.` };
  const claimed = extensionKind(file.filename);
  if (!claimed || !allowed.includes(claimed)) {
    return { ok: false, problem: `Unsupported file type. Allowed: ${[...new Set(allowed)].join(', ')}.` };
  }
  const actual = detectKind(file.data);
  if (actual !== claimed) return { ok: false, problem: 'The file content does not match its extension.' };
  if (containsScript(file.data)) return { ok: false, problem: 'The file contains script content and was refused.' };
  return { ok: true, kind: actual };
}
