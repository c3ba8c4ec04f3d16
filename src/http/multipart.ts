// multipart/form-data as the web client sends it (FormData: text values, file parts and bracket
// keys such as `payments[0][received_amount]`) turned into an ordinary nested body that the
// route's Zod schema validates like JSON.
import multipart from '@fastify/multipart';
import type { MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
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

/** Builds a nested object from flat form keys; later values of the same key win. */
export function nestFormFields(flat: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const path = bracketPath(key);
    let node: Record<string | number, unknown> = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        node[segment] = value;
        return;
      }
      const nextIsIndex = typeof path[i + 1] === 'number';
      if (typeof node[segment] !== 'object' || node[segment] === null) node[segment] = nextIsIndex ? [] : {};
      node = node[segment] as Record<string | number, unknown>;
    });
  }
  // Sparse arrays from skipped indexes become dense.
  const densify = (v: unknown): unknown =>
    Array.isArray(v) ? v.filter((x) => x !== undefined).map(densify) : v && typeof v === 'object' && !Buffer.isBuffer(v) && !('data' in (v as object)) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, densify(x)])) : v;
  return densify(root) as Record<string, unknown>;
}

export async function registerMultipart(app: AppInstance) {
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 20, fields: 200, fieldSize: 1024 * 1024 },
    async onFile(part: MultipartFile) {
      const data = await part.toBuffer();
      (part as unknown as { value: UploadedFile }).value = { filename: part.filename, mimetype: part.mimetype, data };
    },
  });
  app.addHook('preValidation', (request, _reply, done) => {
    if (!request.isMultipart() || !request.body || typeof request.body !== 'object') return done();
    const flat: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(request.body as Record<string, unknown>)) {
      // An empty file input arrives as a part without a filename: treat it as absent.
      if (value && typeof value === 'object' && 'data' in value && (value as UploadedFile).filename === '') continue;
      flat[key] = value;
    }
    request.body = nestFormFields(flat);
    done();
  });
}
