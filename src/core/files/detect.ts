// What a file really is, from its first bytes, and whether it carries script content. Used for
// receipts, invoices and profile pictures: the extension must agree with the bytes.

import { gifParts, jpegParts, pngParts, webpParts, type ImageParts } from './image-scan.ts';
import { pdfActiveContent } from './pdf-scan.ts';

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

// Markup or code that a browser or PDF viewer could execute, long enough not to occur by
// chance in compressed image data: matched against the whole file.
const SCRIPT_PATTERNS = [/<script[\s>]/i, /<\?php/i, /javascript:/i, /<iframe[\s>]/i, /\bon(load|error|click)\s*=/i, /<svg[\s>]/i, /<html[\s>]/i];

// Any HTML element a browser would render, or an event handler inside a tag
// (`<body onmouseover=…>`). Short enough to occur by chance in pixel data, so matched only
// against an image's metadata and what follows its end (image-scan.ts).
const MARKUP_PATTERNS = [
  /<(script|iframe|svg|html|body|img|object|embed|form|meta|link|style|base|frame|frameset|applet|math|video|audio|input|button|details|marquee|isindex)(?=[\s/>])/i,
  /<a\s[^<>]*href\s*=/i,
  /<[a-z][^<>]*[\s"'/]on[a-z]+\s*=/i,
];

const hasScript = (text: string) => SCRIPT_PATTERNS.some((p) => p.test(text));
const hasMarkup = (text: string) => hasScript(text) || MARKUP_PATTERNS.some((p) => p.test(text));

const IMAGE_WALKERS: Partial<Record<FileKind, (data: Buffer) => ImageParts | undefined>> = { png: pngParts, jpeg: jpegParts, gif: gifParts, webp: webpParts };

/** The reason a file of this kind is refused for its content, or undefined. */
export function activeContent(data: Buffer, kind: FileKind | undefined): string | undefined {
  const scriptRefusal = 'The file contains script content and was refused.';
  if (kind === 'pdf') {
    const pdfRefusal = pdfActiveContent(data);
    if (pdfRefusal) return pdfRefusal;
  }
  if (hasScript(data.toString('latin1'))) return scriptRefusal;
  const walk = kind ? IMAGE_WALKERS[kind] : undefined;
  if (walk) {
    const parts = walk(data);
    // A structure we cannot walk is still an image to a lenient viewer: judged by the strong patterns above.
    if (parts && [...parts.metadata, parts.trailing].some((part) => hasMarkup(part.toString('latin1')))) return scriptRefusal;
  }
  return undefined;
}

/**
 * Why a file's name is refused, or undefined. Browsers send the bare name; a path, `.`/`..`,
 * a control character or a name of nothing but dots and spaces is a crafted request.
 */
export function filenameProblem(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (/[\x00-\x1f\x7f]/.test(name)) return 'The file name contains control characters.';
  if (/[/\\]/.test(name)) return 'The file name may not contain a path.';
  if (/^[.\s]*$/.test(name)) return 'The file name is not a valid name.';
  if (name.length > 255) return 'The file name is longer than 255 characters.';
  return undefined;
}

export interface FileCheck {
  ok: boolean;
  kind?: FileKind;
  problem?: string;
}

/** Accepts a file only if its extension is allowed, its bytes match the extension and it carries no script. */
export function checkUpload(file: { filename: string; data: Buffer }, allowed: readonly FileKind[], maxBytes: number): FileCheck {
  const badName = filenameProblem(file.filename);
  if (badName) return { ok: false, problem: badName };
  if (file.data.length === 0) return { ok: false, problem: 'The file is empty.' };
  if (file.data.length > maxBytes) return { ok: false, problem: `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB.` };
  const claimed = extensionKind(file.filename);
  if (!claimed || !allowed.includes(claimed)) {
    return { ok: false, problem: `Unsupported file type. Allowed: ${[...new Set(allowed)].join(', ')}.` };
  }
  const actual = detectKind(file.data);
  if (actual !== claimed) return { ok: false, problem: 'The file content does not match its extension.' };
  const active = activeContent(file.data, actual);
  if (active) return { ok: false, problem: active };
  return { ok: true, kind: actual };
}
