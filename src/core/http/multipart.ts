// multipart/form-data as the web client sends it (FormData: text values, file parts and bracket
// keys such as `payments[0][received_amount]`) turned into an ordinary nested body that the
// route's Zod schema validates like JSON.
import multipart from '@fastify/multipart';
import type { MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
import { FORBIDDEN_KEYS, MAX_DEPTH, MESSAGES, pathError } from './input-guards.ts';
import { filenameProblem } from '../files/detect.ts';
import type { AppInstance } from './types.ts';

export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export interface UploadedFile {
  filename: string;
  mimetype: string;
  data: Buffer;
}

/** Schema of a file field in a multipart body. */
export const uploadedFile = z.custom<UploadedFile>(
  (v) => typeof v === 'object' && v !== null && Buffer.isBuffer((v as UploadedFile).data) && typeof (v as UploadedFile).filename === 'string',
  'Upload a file.',
);

/** `payments[0][amount]` → ['payments', 0, 'amount']. */
export function bracketPath(key: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const head = /^[^[\]]+/.exec(key);
  if (!head) return [key];
  parts.push(head[0]);
  for (const m of key.slice(head[0].length).matchAll(/\[([^[\]]*)\]/g)) {
    const inner = m[1] ?? '';
    parts.push(/^\d+$/.test(inner) && Number(inner) < 1000 ? Number(inner) : inner);
  }
  return parts;
}

/**
 * Builds a nested object from flat form keys; later values of the same key win. Objects are
 * built without a prototype, and a key naming `__proto__`, `constructor` or `prototype` at any
 * depth is a 400 on that field: `__proto__[x]=y` once wrote into Object.prototype itself.
 */
export function nestFormFields(flat: Record<string, unknown>): Record<string, unknown> {
  const root = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(flat)) {
    const value = flat[key];
    const path = bracketPath(key);
    if (path.length > MAX_DEPTH) throw pathError([key], MESSAGES.tooDeep);
    for (const segment of path) if (typeof segment === 'string' && FORBIDDEN_KEYS.has(segment)) throw pathError(path, MESSAGES.forbiddenKey);
    let node: Record<string | number, unknown> = root;
    path.forEach((segment, i) => {
      // A name on a list (`a[0]` and `a[length]`): `length` would resize it (a RangeError, 500).
      if (Array.isArray(node) && typeof segment === 'string' && !/^\d+$/.test(segment)) throw pathError([key], 'Expected a list index.');
      if (i === path.length - 1) {
        node[segment] = value;
        return;
      }
      const nextIsIndex = typeof path[i + 1] === 'number';
      if (typeof node[segment] !== 'object' || node[segment] === null) node[segment] = nextIsIndex ? [] : Object.create(null);
      node = node[segment] as Record<string | number, unknown>;
    });
  }
  // Sparse arrays from skipped indexes become dense; objects get their ordinary prototype back
  // (their keys are checked above). Bounded by MAX_DEPTH, so the recursion is too.
  const densify = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(densify);
    if (!v || typeof v !== 'object' || Object.getPrototypeOf(v) !== null) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = densify((v as Record<string, unknown>)[k]);
    return out;
  };
  return densify(root) as Record<string, unknown>;
}

export async function registerMultipart(app: AppInstance) {
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    // The name as sent: busboy would cut it to its last segment and turn `..` into an empty
    // name, which reads as "no file" — the payment was created and the file dropped.
    preservePath: true,
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 20, fields: 200, fieldSize: 1024 * 1024 },
    async onFile(part: MultipartFile) {
      const data = await part.toBuffer();
      (part as unknown as { value: UploadedFile }).value = { filename: part.filename, mimetype: part.mimetype, data };
    },
  });
  app.addHook('preValidation', (request, _reply, done) => {
    if (!request.isMultipart() || !request.body || typeof request.body !== 'object') return done();
    const flat = Object.create(null) as Record<string, unknown>;
    for (const [key, value] of Object.entries(request.body as Record<string, unknown>)) {
      if (value && typeof value === 'object' && 'data' in value) {
        const file = value as UploadedFile;
        // An empty file input arrives as a part without a filename or bytes: treat it as absent.
        if (file.filename === '' && file.data.length === 0) continue;
        const problem = filenameProblem(file.filename);
        if (problem) return done(pathError(bracketPath(key), problem));
      }
      flat[key] = value;
    }
    request.body = nestFormFields(flat);
    done();
  });
}
