// One fuzzed request for one operation: path parameters, query and body, valid or mutated in one
// place, encoded as JSON or (for upload routes, and now and then for others) multipart/form-data.
import type { Entity } from './world.ts';
import { entityOfName, entityOfPath, Generator, PROTOTYPE_KEYS, type IdKind, type Schema } from './generate.ts';

export interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; required: boolean; schema: Schema }[];
  body: Schema | undefined;
  /** Body fields that take a file (no schema of their own, or named after a file). */
  fileFields: string[];
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** What was generated, for the report (the body before encoding). */
  body?: unknown;
  mutation: string;
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

export function operationsOf(doc: { paths: Record<string, Record<string, { parameters?: unknown[]; requestBody?: unknown }>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const body = (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.['application/json']?.schema;
      const props = (body?.properties ?? {}) as Record<string, Schema>;
      const fileFields = Object.entries(props)
        .filter(([name, s]) => Object.keys(s).every((k) => k === 'description') || /file|receipt|picture|avatar/.test(name))
        .map(([name]) => name);
      ops.push({ method: method.toUpperCase(), path, params: (op.parameters ?? []) as Operation['params'], body, fileFields });
    }
  }
  return ops;
}

/** `{a: {b: [1]}}` → `a[b][0]=1`, as the web client's FormData names fields. */
function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (!entries.length) out.push([prefix, '']);
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}[${k}]` : k, out);
  } else out.push([prefix, value === null || value === undefined ? '' : String(value)]);
}

function multipart(fields: unknown, files: string[], gen: Generator): { payload: Buffer; contentType: string } {
  const boundary = `----prsfuzz${gen.rng.int(1e6, 9e6)}`;
  const flat: [string, string][] = [];
  flatten(fields ?? {}, '', flat);
  const parts: Buffer[] = flat.map(([name, value]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  for (const name of files) {
    const [filename, type, data] = gen.rng.pick([['receipt.png', 'image/png', PNG], ['receipt.pdf', 'application/pdf', PDF], ['..', 'image/png', PNG], ['x\u202egnp.exe', 'application/octet-stream', Buffer.from('MZ')]] as const);
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`), data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

const asQueryValue = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');

/**
 * Builds a request. `ownIds` says which organisation's records count as the caller's own; a
 * mutation (none for a valid request) changes one thing: an id, a query value, a body field, or
 * the body as a whole.
 */
export function buildRequest(op: Operation, gen: Generator, opts: { valid: boolean; ownKind: 'own' | 'foreign'; protectedIds: Set<string> }): FuzzRequest {
  const rng = gen.rng;
  const otherKind: IdKind = opts.ownKind === 'own' ? 'foreign' : 'own';
  const idFor = (entity: Entity | undefined, kind: IdKind) => {
    const pickKind = kind === 'own' ? opts.ownKind : kind === 'foreign' ? otherKind : kind;
    for (let i = 0; i < 5; i++) {
      const id = gen.id(entity, pickKind);
      // Deleting or deactivating an organisation would end the run's world: those get unknown ids.
      if (!(entity === 'organizations' && op.method !== 'GET' && opts.protectedIds.has(id))) return id;
    }
    return gen.id(entity, 'unknown');
  };
  const mutations = ['path-id', 'query', 'body-field', 'body-missing', 'body-whole', 'body-prototype', 'body-foreign-id', 'multipart'];
  const applicable = mutations.filter((m) =>
    m === 'path-id' ? op.params.some((p) => p.in === 'path') : m === 'query' ? op.params.some((p) => p.in === 'query') : m === 'multipart' ? op.method !== 'GET' : !!op.body,
  );
  const mutation = opts.valid || !applicable.length ? 'none' : rng.pick(applicable);

  let path = op.path;
  for (const p of op.params.filter((q) => q.in === 'path')) {
    const entity = entityOfPath(op.path, p.name);
    const kind: IdKind = mutation === 'path-id' ? rng.pick(['foreign', 'unknown', 'malformed'] as const) : 'own';
    path = path.replace(`{${p.name}}`, encodeURIComponent(idFor(entity, kind)));
  }
  const query = new URLSearchParams();
  const queryParams = op.params.filter((q) => q.in === 'query');
  const mutatedQuery = mutation === 'query' ? rng.pick(queryParams).name : undefined;
  for (const p of queryParams) {
    if (p.name === mutatedQuery) query.set(p.name, asQueryValue(gen.invalid(p.schema)));
    else if (p.required || rng.chance(0.4)) {
      const entity = entityOfName(p.name);
      query.set(p.name, entity ? idFor(entity, 'own') : asQueryValue(gen.valid(p.schema, p.name)));
    }
  }

  let body: unknown = op.body ? gen.valid(op.body) : undefined;
  const props = Object.keys((op.body?.properties ?? {}) as object);
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    for (const f of op.fileFields) delete record[f];
    if (mutation === 'body-field' && props.length) {
      const key = rng.pick(props);
      record[key] = gen.invalid(((op.body!.properties as Record<string, Schema>)[key]));
    } else if (mutation === 'body-missing') {
      const required = (op.body?.required ?? []) as string[];
      if (required.length) delete record[rng.pick(required)];
    } else if (mutation === 'body-whole') body = gen.invalid(undefined);
    else if (mutation === 'body-prototype') {
      // JSON.parse keeps `__proto__` as an own key (an object literal would set the prototype).
      const rest = JSON.stringify(record).slice(1);
      body = JSON.parse(`{${JSON.stringify(rng.pick(PROTOTYPE_KEYS))}: {"isAdmin": true}${rest === '}' ? '}' : `, ${rest}`}`);
    }
    else if (mutation === 'body-foreign-id') {
      const idKeys = props.filter((k) => entityOfName(k));
      if (idKeys.length) {
        const key = rng.pick(idKeys);
        const id = idFor(entityOfName(key), rng.pick(['foreign', 'unknown'] as const));
        record[key] = Array.isArray(record[key]) ? [id] : rng.chance(0.5) ? Number(id) : id;
      }
    }
  }
  const qs = query.toString();
  const url = qs ? `${path}?${qs}` : path;
  const asMultipart = op.body !== undefined && (mutation === 'multipart' || (op.fileFields.length > 0 && rng.chance(0.7)));
  if (asMultipart) {
    const files = op.fileFields.length && rng.chance(0.8) ? [rng.pick(op.fileFields)] : [];
    const { payload, contentType } = multipart(body, files, gen);
    return { method: op.method, url, headers: { 'content-type': contentType }, payload, body, mutation };
  }
  if (body === undefined) return { method: op.method, url, headers: {}, mutation };
  // JSON nested deeper than any serialiser's stack: written as text (issue 13 sent 10,000 levels).
  if (mutation === 'body-whole' && rng.chance(0.2)) {
    const levels = rng.pick([10_000, 100_000]);
    return { method: op.method, url, headers: { 'content-type': 'application/json' }, payload: `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`, body: `{"a": … ${levels} levels}`, mutation: 'body-deep' };
  }
  return { method: op.method, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) ?? 'null', body, mutation };
}
