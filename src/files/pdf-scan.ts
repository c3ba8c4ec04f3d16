// Active content in a PDF: actions a viewer runs or follows on its own (script, launching a
// program, sending the form, fetching a URL or another file) and embedded files or media.
// Names are compared after undoing `#xx` escapes (`/J#61vaScript` is `/JavaScript`), and
// dictionaries hidden in compressed object streams (`/ObjStm`) are inflated and scanned too.
import { inflateSync } from 'node:zlib';

/**
 * Names that mark active content wherever they appear: action types (`/S /URI`) and the keys
 * that carry script, additional actions, embedded files, media or XML forms. PRS's own invoices
 * (pdfkit) have none of these unless they carry links, and invoices are generated, not uploaded.
 */
const ACTIVE_NAMES: ReadonlySet<string> = new Set([
  'JavaScript', 'JS', 'Launch', 'SubmitForm', 'ImportData', 'ResetForm', 'URI', 'GoToR', 'GoToE', 'AA',
  'EmbeddedFile', 'EmbeddedFiles', 'RichMedia', 'RichMediaExecute', 'XFA', 'Rendition', 'Sound', 'Movie',
]);

/** Inflated bytes of all object streams of one file together: a zip bomb stops here. */
export const MAX_INFLATED_BYTES = 32 * 1024 * 1024;

/** A PDF name: `/` and regular characters up to a delimiter or white space (NUL is white space). */
// eslint-disable-next-line no-control-regex -- PDF white space includes NUL
const NAME = /\/([^\x00\t\n\f\r /[\]<>(){}%]*)/g;

/** `/J#61vaScript` → `JavaScript`: any byte of a name may be written as `#` and two hex digits. */
const decodeName = (raw: string) => raw.replace(/#([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

const normaliseNames = (text: string) => text.replace(NAME, (_m, raw: string) => `/${decodeName(raw)}`);

/** The reason a PDF is refused, or undefined when it carries no active content. */
export function pdfActiveContent(data: Buffer): string | undefined {
  const budget = { left: MAX_INFLATED_BYTES };
  return scanSyntax(data.toString('latin1'), budget, 0);
}

function scanSyntax(text: string, budget: { left: number }, depth: number): string | undefined {
  const names: string[] = [];
  for (const m of text.matchAll(NAME)) names.push(decodeName(m[1] ?? ''));
  const active = names.find((n) => ACTIVE_NAMES.has(n));
  if (active) return `The PDF contains active content (/${active}: script, actions or embedded files) and was refused.`;
  // An open action that is a destination (`/OpenAction [3 0 R /Fit]`, written by office
  // suites) only shows a page; anything else is an action to run on opening.
  const normalised = normaliseNames(text);
  if (/\/OpenAction(?!\s*\[)/.test(normalised)) return 'The PDF contains active content (/OpenAction) and was refused.';
  if (/javascript:/i.test(normalised)) return 'The PDF contains script content and was refused.';
  if (depth > 0) return undefined; // an object stream cannot hold another one
  for (const stream of objectStreams(text)) {
    const inner = inflateObjectStream(stream, budget);
    if (typeof inner !== 'string') return inner.problem;
    const found = scanSyntax(inner, budget, depth + 1);
    if (found) return found;
  }
  return undefined;
}

interface StreamPart {
  dictionary: string;
  data: Buffer;
}

/** Object streams (`/Type /ObjStm`): the dictionary before each `stream` keyword tells. */
function* objectStreams(raw: string): Generator<StreamPart> {
  for (const start of raw.matchAll(/(?<![A-Za-z])stream\r?\n/g)) {
    const before = raw.slice(Math.max(0, start.index - 4096), start.index);
    const dictionary = normaliseNames(before.slice(before.lastIndexOf('obj') + 1));
    if (!/\/Type\s*\/ObjStm\b/.test(dictionary)) continue;
    const dataStart = start.index + start[0].length;
    const end = raw.indexOf('endstream', dataStart);
    yield { dictionary, data: Buffer.from(raw.slice(dataStart, end < 0 ? raw.length : end), 'latin1') };
  }
}

function inflateObjectStream(stream: StreamPart, budget: { left: number }): string | { problem: string } {
  const filters = [...(/\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(stream.dictionary)?.[1] ?? '').matchAll(/\/([A-Za-z0-9]+)/g)].map((m) => m[1]);
  if (filters.length === 0) return stream.data.toString('latin1');
  const uninspectable = { problem: 'The PDF hides objects in a stream that cannot be inspected and was refused.' };
  if (filters.length !== 1 || filters[0] !== 'FlateDecode') return uninspectable;
  if (budget.left <= 0) return { problem: 'The PDF is too large when decompressed and was refused.' };
  try {
    const inflated = inflateSync(stream.data, { maxOutputLength: budget.left });
    budget.left -= inflated.length;
    return inflated.toString('latin1');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return { problem: 'The PDF is too large when decompressed and was refused.' };
    return uninspectable;
  }
}
