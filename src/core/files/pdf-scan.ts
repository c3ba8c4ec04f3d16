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
  const text = data.toString('latin1');
  const streams = [...streamsOf(text)];
  // PDF syntax (dictionaries, arrays) with every stream's bytes cut out: a name is active here wherever it stands.
  let syntax = '';
  let at = 0;
  for (const stream of streams) {
    syntax += `${text.slice(at, stream.start)} `;
    at = stream.end;
  }
  const found = scanSyntax(syntax + text.slice(at)) ?? scanStreamData(streams.map((s) => s.data).join(' '));
  if (found) return found;
  const budget = { left: MAX_INFLATED_BYTES };
  for (const stream of streams.filter((s) => /\/Type\s*\/ObjStm\b/.test(s.dictionary))) {
    const inner = inflateObjectStream(stream, budget);
    if (typeof inner !== 'string') return inner.problem;
    const hidden = scanSyntax(inner);
    if (hidden) return hidden;
  }
  return undefined;
}

const refusal = (name: string) => `The PDF contains active content (/${name}: script, actions or embedded files) and was refused.`;

function scanSyntax(text: string): string | undefined {
  for (const m of text.matchAll(NAME)) {
    const name = decodeName(m[1] ?? '');
    if (ACTIVE_NAMES.has(name)) return refusal(name);
  }
  return scanLongForms(normaliseNames(text));
}

/**
 * Inside stream bytes (compressed images, fonts, page content) three-letter names like `/JS`
 * or `/AA` occur by chance (a 10 MB scan holds `/JS` and a delimiter once in thirty); only
 * forms too long for chance count there: long names and action types (`/S /URI`).
 */
function scanStreamData(data: string): string | undefined {
  const normalised = normaliseNames(data);
  const long = /\/(JavaScript|Launch|SubmitForm|ImportData|ResetForm|EmbeddedFiles?|RichMedia(?:Execute)?|Rendition)(?![\w#.+-])/.exec(normalised);
  if (long?.[1]) return refusal(long[1]);
  const action = /\/S\s*\/(URI|GoToR|GoToE|Sound|Movie)(?![\w#.+-])/.exec(normalised);
  if (action?.[1]) return refusal(action[1]);
  return scanLongForms(normalised);
}

function scanLongForms(normalised: string): string | undefined {
  // An open action that is a destination (`/OpenAction [3 0 R /Fit]`, written by office
  // suites) only shows a page; anything else is an action to run on opening.
  if (/\/OpenAction(?!\s*\[)/.test(normalised)) return refusal('OpenAction');
  if (/javascript:/i.test(normalised)) return 'The PDF contains script content and was refused.';
  return undefined;
}

interface StreamPart {
  dictionary: string;
  /** Where the stream's bytes start and end (before `endstream`) in the file. */
  start: number;
  end: number;
  data: string;
}

/** Every stream: the dictionary before its `stream` keyword (names unescaped) and its bytes. */
function* streamsOf(raw: string): Generator<StreamPart> {
  const keyword = /(?<![A-Za-z])stream\r?\n/g;
  for (let m = keyword.exec(raw); m; m = keyword.exec(raw)) {
    const before = raw.slice(Math.max(0, m.index - 4096), m.index);
    const dictionary = normaliseNames(before.slice(before.lastIndexOf('obj') + 1));
    const start = m.index + m[0].length;
    const found = raw.indexOf('endstream', start);
    const end = found < 0 ? raw.length : found;
    yield { dictionary, start, end, data: raw.slice(start, end) };
    keyword.lastIndex = end;
  }
}

function inflateObjectStream(stream: StreamPart, budget: { left: number }): string | { problem: string } {
  const filters = [...(/\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(stream.dictionary)?.[1] ?? '').matchAll(/\/([A-Za-z0-9]+)/g)].map((m) => m[1]);
  if (filters.length === 0) return stream.data;
  const uninspectable = { problem: 'The PDF hides objects in a stream that cannot be inspected and was refused.' };
  if (filters.length !== 1 || filters[0] !== 'FlateDecode') return uninspectable;
  if (budget.left <= 0) return { problem: 'The PDF is too large when decompressed and was refused.' };
  try {
    const inflated = inflateSync(Buffer.from(stream.data, 'latin1'), { maxOutputLength: budget.left });
    budget.left -= inflated.length;
    return inflated.toString('latin1');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return { problem: 'The PDF is too large when decompressed and was refused.' };
    return uninspectable;
  }
}
