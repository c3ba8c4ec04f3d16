// Files that arrive with a request: checked before any work starts (so a bad file stores
// nothing), written during the work, and removed again if the work fails.
import type { FastifyRequest } from 'fastify';
import { isConnectionLoss } from '../db/errors.ts';
import { fieldError } from '../http/errors.ts';
import type { UploadedFile } from '../http/multipart.ts';
import { MAX_UPLOAD_BYTES } from '../http/multipart.ts';
import { checkUpload, type FileKind } from './detect.ts';
import type { FileStorage } from './storage.ts';

export const RECEIPT_KINDS: readonly FileKind[] = ['pdf', 'png', 'jpeg', 'gif', 'doc', 'docx'];
export const INVOICE_KINDS: readonly FileKind[] = ['pdf', 'png', 'jpeg'];

export interface CheckedFile {
  kind: FileKind;
  data: Buffer;
  filename: string;
}

/** Validates one upload; `field` names it in the 400 (e.g. "payments.0.receipt_file"). */
export function checkedFile(file: UploadedFile, allowed: readonly FileKind[], field: string): CheckedFile {
  const result = checkUpload(file, allowed, MAX_UPLOAD_BYTES);
  if (!result.ok || !result.kind) throw fieldError(field, result.problem ?? 'Invalid file.');
  return { kind: result.kind, data: file.data, filename: file.filename };
}

export class UploadBatch {
  private readonly stored: string[] = [];
  constructor(private readonly storage: FileStorage) {}

  async store(folder: 'receipts' | 'invoices', file: CheckedFile): Promise<string> {
    const key = await this.storage.put(folder, file.kind, file.data);
    this.stored.push(key);
    return key;
  }

  /** The work committed: its files are referenced and no longer pending (best effort; else the sweep settles them). */
  async settle(): Promise<void> {
    await Promise.all(this.stored.map((k) => this.storage.settle(k).catch(() => undefined)));
    this.stored.length = 0;
  }

  /** Removes everything stored by this batch (the work it belonged to failed). */
  async discard(): Promise<void> {
    await Promise.all(this.stored.map((k) => this.storage.remove(k).catch(() => undefined)));
    this.stored.length = 0;
  }
}

/**
 * Runs work that may store files: settles them once it committed, removes them if it failed. A
 * lost database connection leaves them pending instead: the commit may have reached the server
 * before the connection broke, so only the sweep, which sees the rows, may remove them.
 */
export async function withUploads<T>(request: FastifyRequest, fn: (uploads: UploadBatch) => Promise<T>): Promise<T> {
  const uploads = new UploadBatch(request.server.files);
  try {
    const result = await fn(uploads);
    await uploads.settle();
    return result;
  } catch (err) {
    if (!isConnectionLoss(err)) await uploads.discard();
    throw err;
  }
}
