// The durable half of crash-safe uploads: files whose pending mark is older than the grace
// period are either referenced by a committed row (the mark is dropped) or orphans of a request
// that died or failed before committing (the file is removed). A recurring job, idempotent and
// safe with several processes: removing a removed file or settling a settled mark is a no-op.
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { rows } from '../db/database.ts';
import { registerJobHandler } from '../jobs/runner.ts';

const BATCH = 500;

/** Every column that holds a storage key: receipts, invoice files, profile pictures (as `/media/<key>`). */
const referencedKeys = (keys: string[]) => sql`
  SELECT k AS key FROM unnest(ARRAY[${sql.join(keys.map((k) => sql`${k}`), sql`, `)}]::text[]) AS k
  WHERE EXISTS (SELECT 1 FROM payments WHERE receipt_key = k)
     OR EXISTS (SELECT 1 FROM payment_approvals WHERE invoice_file_key = k)
     OR EXISTS (SELECT 1 FROM invoices WHERE invoice_file_key = k)
     OR EXISTS (SELECT 1 FROM users WHERE profile_picture = '/media/' || k)`;

export async function sweepOrphanUploads(app: FastifyInstance, graceSeconds: number): Promise<{ removed: number; kept: number }> {
  const result = { removed: 0, kept: 0 };
  for (;;) {
    const keys = await app.files.pending(graceSeconds * 1000, BATCH);
    if (!keys.length) return result;
    const referenced = new Set((await app.db.system((tx) => rows<{ key: string }>(tx, referencedKeys(keys)))).map((r) => r.key));
    for (const key of keys) {
      if (referenced.has(key)) {
        await app.files.settle(key);
        result.kept++;
      } else {
        await app.files.remove(key);
        result.removed++;
      }
    }
    if (keys.length < BATCH) return result;
  }
}

export const UPLOAD_SWEEP_JOB = 'upload_sweep';

registerJobHandler(
  UPLOAD_SWEEP_JOB,
  async (_job, ctx) => {
    const { removed, kept } = await sweepOrphanUploads(ctx.app, ctx.app.config.uploadSweepGraceSeconds);
    if (removed || kept) ctx.log.info({ removed, kept }, 'upload sweep');
  },
  { next: (now) => new Date(now.getTime() + 15 * 60_000), runOnStart: true },
);
