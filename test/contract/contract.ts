// The PRS web client's API contract (prs-web-contract.json, a copy kept in test/contract/spec/,
// explained in the .md beside it) as a test library: typed entries, a parser for the `fields_read` notation, a check
// that a response body carries every field the client reads, and requests built the way the
// client sends them (for Fastify's app.inject()).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

// Kept inside the repository so that a plain clone passes its tests; refresh it with
// a new copy of the shared specification's contract files when that changes.
const CONTRACT_URL = new URL('./spec/prs-web-contract.json', import.meta.url);

const entrySchema = z.object({
  id: z.string().min(1),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: z.string().startsWith('/api/'),
  query: z.record(z.string(), z.string()),
  auth: z.enum(['token', 'optional', 'none']),
  encoding: z.enum(['json', 'multipart', 'none']),
  request_fields: z.record(z.string(), z.string()),
  response: z.object({
    kind: z.enum(['object', 'array', 'paginated-or-array', 'blob']),
    fields_read: z.array(z.string()),
    notes: z.string(),
  }),
  errors_read: z.array(z.string()),
  used_by: z.array(z.string()),
  fires: z.enum(['page-load', 'user-action']),
  importance: z.enum(['core', 'secondary', 'optional']),
  transport: z.enum(['apiClient', 'apiClient-multipart', 'fetch', 'axios']),
  example_url: z.string().startsWith('/api/'),
});

export type ContractEntry = z.infer<typeof entrySchema>;
export type HttpMethod = ContractEntry['method'];

let cache: ContractEntry[] | undefined;

/** All 87 entries, in file order (loaded and validated once). */
export function contractEntries(): ContractEntry[] {
  cache ??= z.array(entrySchema).parse(JSON.parse(readFileSync(CONTRACT_URL, 'utf8')));
  return cache;
}

export function contractEntry(id: string): ContractEntry {
  const entry = contractEntries().find((e) => e.id === id);
  if (!entry) throw new Error(`unknown contract entry id: ${id}`);
  return entry;
}

/** Entries whose id starts with one of the prefixes followed by '.', e.g. ['auth', 'roles']. */
export function entriesForAreas(prefixes: string[]): ContractEntry[] {
  return contractEntries().filter((e) => prefixes.some((p) => e.id.startsWith(`${p}.`)));
}

// ---------------------------------------------------------------------------------------------
// fields_read notation

export type PathStep =
  | { kind: 'key'; name: string } // .name
  | { kind: 'each' } // [] : every element of an array
  | { kind: 'index'; index: number } // [0]
  | { kind: 'everyKey'; placeholder: string }; // <category> : every value of an object

export type FieldPath = PathStep[];

/** One field the client reads; satisfied when any alternative path is present. */
export interface FieldCheck {
  label: string;
  alternatives: FieldPath[];
}

export interface ParsedFieldRead {
  spec: string;
  /** `prose`: no field path (ignored); `reference`: "same as <entry id>". */
  kind: 'fields' | 'prose' | 'reference';
  comments: string[];
  optional: boolean;
  /** A "(non-null …)" comment: null does not count as present. */
  nonNull: boolean;
  /** A one-word variant comment such as "(individual)", "(team)", "(bad_debt)". */
  condition: string | null;
  reference: string | null;
  /** Several checks only for brace groups (`x[].{a,b}`); each must be satisfied. */
  checks: FieldCheck[];
}

const NOT_CONDITIONS = new Set(['string', 'number', 'boolean', 'object', 'array', 'nullable', 'optional', 'required']);
const BARE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function stripComments(spec: string): { text: string; comments: string[] } {
  let depth = 0;
  let text = '';
  let comment = '';
  const comments: string[] = [];
  for (const ch of spec) {
    if (ch === '(') {
      if (depth > 0) comment += ch;
      depth++;
    } else if (ch === ')') {
      if (depth === 0) throw new Error(`unbalanced ')' in fields_read spec: ${spec}`);
      depth--;
      if (depth === 0) {
        comments.push(comment.trim());
        comment = '';
      } else comment += ch;
    } else if (depth > 0) comment += ch;
    else text += ch;
  }
  if (depth !== 0) throw new Error(`unbalanced '(' in fields_read spec: ${spec}`);
  return { text: text.replace(/\s*\|\s*/g, '|').replace(/\s+/g, ' ').trim(), comments };
}

/** `x.{a,b|c}.y` -> ['x.a.y', 'x.b.y|x.c.y'] (alternatives inside a member keep the context). */
function expandBraces(text: string): string[] {
  const m = /^([^{}]*)\{([^{}]*)\}(.*)$/.exec(text);
  if (!m) return [text];
  const [, prefix = '', inner = '', suffix = ''] = m;
  return inner.split(',').flatMap((member) =>
    expandBraces(member.split('|').map((alt) => `${prefix}${alt.trim()}${suffix}`).join('|')),
  );
}

const STEP = /(\.)?(?:([A-Za-z_][A-Za-z0-9_]*)|<([A-Za-z_][A-Za-z0-9_-]*)>|\[(\d*)\])/y;

function parsePath(text: string, spec: string): FieldPath {
  const path: FieldPath = [];
  STEP.lastIndex = 0;
  while (STEP.lastIndex < text.length) {
    const at = STEP.lastIndex;
    const m = STEP.exec(text);
    if (!m) throw new Error(`cannot parse '${text.slice(at)}' in fields_read spec: ${spec}`);
    const [, dot, key, placeholder, index] = m;
    const named = key !== undefined || placeholder !== undefined;
    if (named && (dot !== undefined) !== (path.length > 0)) throw new Error(`misplaced '.' in fields_read spec: ${spec}`);
    if (!named && dot !== undefined) throw new Error(`'.[' in fields_read spec: ${spec}`);
    if (key !== undefined) path.push({ kind: 'key', name: key });
    else if (placeholder !== undefined) path.push({ kind: 'everyKey', placeholder });
    else if (index === '') path.push({ kind: 'each' });
    else path.push({ kind: 'index', index: Number(index) });
  }
  if (path.length === 0) throw new Error(`empty path in fields_read spec: ${spec}`);
  return path;
}

const isIterator = (s: PathStep): boolean => s.kind !== 'key';
const sameStep = (a: PathStep, b: PathStep): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The element scope a relative alternative lives in: up to the last iterator followed by a step. */
function scopeOf(path: FieldPath): FieldPath {
  for (let k = path.length - 2; k >= 0; k--) {
    if (isIterator(path[k]!)) return path.slice(0, k + 1);
  }
  return [];
}

function startsWith(path: FieldPath, prefix: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => sameStep(s, path[i]!));
}

function parseAlternatives(text: string, spec: string): FieldPath[] {
  const parts = text.split('|');
  if (parts.some((p) => p === '')) throw new Error(`empty alternative in fields_read spec: ${spec}`);
  // `payments|payments_read[0].payment_date`: bare leading names share the last one's tail.
  const last = parts[parts.length - 1]!;
  const tail = /^[A-Za-z_][A-Za-z0-9_]*([.[].*)$/.exec(last)?.[1];
  if (parts.length > 1 && tail !== undefined && parts.slice(0, -1).every((p) => BARE.test(p))) {
    return parts.map((p) => parsePath(p === last ? p : p + tail, spec));
  }
  const first = parsePath(parts[0]!, spec);
  const scope = scopeOf(first);
  // `[].phoneNumber|contact_number` means `[].phoneNumber|[].contact_number`.
  return [first, ...parts.slice(1).map((p) => {
    const path = parsePath(p, spec);
    return startsWith(path, scope) ? path : [...scope, ...path];
  })];
}

/** Parses one `fields_read` string; throws on notation it does not understand. */
export function parseFieldRead(spec: string): ParsedFieldRead {
  const { text, comments } = stripComments(spec);
  const base = { spec, comments, reference: null, checks: [] };
  const flags = {
    optional: comments.some((c) => /^optional\b/i.test(c)),
    nonNull: comments.some((c) => /\bnon-null\b/i.test(c)),
    condition: comments.length === 1 && /^[a-z_]+$/.test(comments[0]!) && !NOT_CONDITIONS.has(comments[0]!) ? comments[0]! : null,
  };
  const ref = /^same as ([A-Za-z0-9_.-]+)$/.exec(text);
  if (ref) return { ...base, ...flags, kind: 'reference', reference: ref[1]! };
  if (text === '' || /\s/.test(text)) return { ...base, ...flags, kind: 'prose' };
  const siblings = expandBraces(text);
  const checks = siblings.map((s) => ({ label: siblings.length === 1 ? spec : s, alternatives: parseAlternatives(s, spec) }));
  return { ...base, ...flags, kind: 'fields', checks };
}

// ---------------------------------------------------------------------------------------------
// Checking a response body

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

/** The value the client code reads, after its response unwrapping (see the .md). */
export function clientView(entry: ContractEntry, body: unknown): unknown {
  if (!isRecord(body)) return body;
  const has = (k: string): boolean => Object.hasOwn(body, k);
  if (entry.transport === 'apiClient') {
    if (has('data') && has('success')) return body.data;
    if (has('results') && has('count')) return body.results;
  } else if (entry.response.kind === 'paginated-or-array' && Array.isArray(body.results)) return body.results;
  return body;
}

/**
 * Present = not undefined. null counts as present (also as a parent: the client guards it) unless
 * the spec says non-null. `[]` over an empty array is vacuously satisfied, as is `[n]`.
 * Alternatives walk their shared prefix together, so each array element may use a different one.
 */
function satisfied(value: unknown, paths: FieldPath[], i: number, nonNull: boolean, typed: JsonTypeCheck | null): boolean {
  const step = paths[0]?.[i];
  if (paths.length > 1 && !(step && paths.every((p) => p[i] !== undefined && sameStep(p[i]!, step)))) {
    return paths.some((p) => satisfied(value, [p], i, nonNull, typed));
  }
  if (step === undefined) return value !== undefined && (value === null ? !nonNull : typed === null || typed(value));
  if (value === undefined) return false;
  if (value === null) return !nonNull;
  const next = (v: unknown): boolean => satisfied(v, paths, i + 1, nonNull, typed);
  switch (step.kind) {
    case 'key':
      return isRecord(value) && next(own(value, step.name));
    case 'each':
      return Array.isArray(value) && value.every((el: unknown) => next(el));
    case 'index':
      return Array.isArray(value) && (value.length === 0 || next(value[step.index]));
    case 'everyKey':
      return isRecord(value) && Object.values(value).every((v) => next(v));
  }
}

type JsonTypeCheck = (value: unknown) => boolean;

/**
 * The JSON type a field read's comment states ("(JSON integer; …)", "(JSON number …)",
 * "(JSON boolean …)", "(STRING …)" / "(JSON STRING …)"); null when it states none, or allows
 * alternatives ("number or numeric string").
 */
export function declaredJsonType(comments: string[]): JsonTypeCheck | null {
  for (const c of comments) {
    if (/^JSON integer\b/.test(c)) return (v) => Number.isInteger(v);
    if (/^JSON number\b/.test(c)) return (v) => typeof v === 'number' && Number.isFinite(v);
    if (/^JSON boolean\b/.test(c)) return (v) => typeof v === 'boolean';
    if (/^(JSON )?STRING\b/.test(c)) return (v) => typeof v === 'string';
  }
  return null;
}

export interface MissingFieldsOptions {
  /** Check only these variant-tagged fields ("(individual)", "(bad_debt)", …); default: all. */
  variants?: string[];
}

/**
 * The fields_read specs the body does not satisfy, absent or of another JSON type than the one
 * the spec states (empty = contract met). Brace groups report
 * the expanded member (e.g. `team_members[].avatar`); "same as <id>" reports that entry's specs.
 */
export function missingFields(entry: ContractEntry, body: unknown, options: MissingFieldsOptions = {}): string[] {
  const view = clientView(entry, body);
  const missing: string[] = [];
  const visit = (e: ContractEntry, seen: Set<string>): void => {
    for (const spec of e.response.fields_read) {
      const parsed = parseFieldRead(spec);
      if (parsed.kind === 'prose' || parsed.optional) continue;
      if (parsed.kind === 'reference') {
        const target = parsed.reference ?? '';
        if (seen.has(target)) throw new Error(`circular fields_read reference: ${target}`);
        visit(contractEntry(target), new Set([...seen, target]));
        continue;
      }
      if (parsed.condition !== null && options.variants && !options.variants.includes(parsed.condition)) continue;
      for (const check of parsed.checks) {
        if (!satisfied(view, check.alternatives, 0, parsed.nonNull, declaredJsonType(parsed.comments))) missing.push(check.label);
      }
    }
  };
  visit(entry, new Set([entry.id]));
  return missing;
}

// ---------------------------------------------------------------------------------------------
// Requests as the client sends them

export type MultipartField = string | { filename: string; contentType: string; data: Buffer };

export interface MultipartBody {
  payload: Buffer;
  headers: Record<string, string>;
}

export interface ClientRequestOptions {
  token?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** JSON value for `json` entries; a multipartPayload() result for `multipart` entries. */
  body?: unknown;
  lowercaseToken?: boolean;
}

/** Shaped for Fastify's `app.inject()`. Header names are lower-case. */
export interface ClientRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

function isMultipartBody(v: unknown): v is MultipartBody {
  return isRecord(v) && Buffer.isBuffer(v.payload) && isRecord(v.headers);
}

/** The two apiClient GETs whose caller puts the query in the path, so the stray `?` ends it. */
function queryInPath(entry: ContractEntry): boolean {
  return /\?[^?]+\?$/.test(entry.example_url);
}

export function clientRequest(entry: ContractEntry, opts: ClientRequestOptions = {}): ClientRequest {
  const params = opts.params ?? {};
  const used = new Set<string>();
  const path = entry.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${entry.id}: missing path parameter {${name}}`);
    used.add(name);
    return encodeURIComponent(value);
  });
  const unknown = Object.keys(params).filter((k) => !used.has(k));
  if (unknown.length > 0) throw new Error(`${entry.id}: unknown path parameter(s) ${unknown.join(', ')}`);

  const qs = new URLSearchParams(opts.query ?? {}).toString();
  let url: string;
  if (entry.transport === 'apiClient' && entry.method === 'GET') {
    // apiClient GETs always append '?' + URLSearchParams; a query already in the path keeps it.
    url = queryInPath(entry) && qs ? `${path}?${qs}?` : `${path}?${qs}`;
  } else url = qs ? `${path}?${qs}` : path;

  const headers: Record<string, string> = {};
  if (opts.token !== undefined) {
    if (entry.auth === 'none') throw new Error(`${entry.id}: the client never sends Authorization here`);
    const keyword = entry.transport === 'axios' || opts.lowercaseToken ? 'token' : 'Token';
    headers.authorization = `${keyword} ${opts.token}`;
  }
  if (entry.transport === 'apiClient' || entry.encoding === 'json') headers['content-type'] = 'application/json';

  const request: ClientRequest = { method: entry.method, url, headers };
  if (entry.encoding === 'json') {
    if (opts.body === undefined) throw new Error(`${entry.id}: sends a JSON body; pass opts.body`);
    request.payload = JSON.stringify(opts.body);
  } else if (entry.encoding === 'multipart') {
    if (opts.body !== undefined) {
      if (!isMultipartBody(opts.body)) throw new Error(`${entry.id}: pass a multipartPayload() result as opts.body`);
      Object.assign(headers, opts.body.headers);
      request.payload = opts.body.payload;
    }
  } else if (opts.body !== undefined) throw new Error(`${entry.id}: the client sends no body`);
  return request;
}

const quoteName = (s: string): string => s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** A multipart/form-data body (text parts and file parts) like a browser FormData upload. */
export function multipartPayload(fields: Record<string, MultipartField>): MultipartBody {
  const boundary = `----PRSContractBoundary${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    let disposition = `--${boundary}\r\nContent-Disposition: form-data; name="${quoteName(name)}"`;
    if (typeof value === 'string') {
      chunks.push(Buffer.from(`${disposition}\r\n\r\n${value}\r\n`));
    } else {
      disposition += `; filename="${quoteName(value.filename)}"\r\nContent-Type: ${value.contentType}`;
      chunks.push(Buffer.from(`${disposition}\r\n\r\n`), value.data, Buffer.from('\r\n'));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
