// Durable background work. Jobs are rows (table `jobs`): enqueued in the transaction of the work
// that wants them, claimed by a runner with FOR UPDATE SKIP LOCKED and a lease (locked_until),
// retried with exponential backoff, and taken over by another runner when a process dies while
// holding one. Several runners (processes) may poll one database; each job runs once at a time.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Database, type Tx } from '../db/database.ts';

export interface Job {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  organizationId: string | null;
  attempts: number;
  maxAttempts: number;
}

/** What a handler works with: the application (database, configuration, live hub) and a logger. */
export interface JobContext {
  app: FastifyInstance;
  db: Database;
  log: FastifyBaseLogger;
}

export type JobHandler = (job: Job, ctx: JobContext) => Promise<void>;

export interface HandlerOptions {
  /** Recurring work: when the job finishes (or fails for good), the next run is enqueued for this time. */
  next?: (now: Date) => Date;
  /** Recurring kinds only: a starting runner brings the pending run forward to now (idempotent work, e.g. sweeps). */
  runOnStart?: boolean;
  maxAttempts?: number;
}

interface Registered {
  handler: JobHandler;
  options: HandlerOptions;
}

const handlers = new Map<string, Registered>();

/**
 * Registers the handler of a job kind (once per process, at import time). With `options.next`
 * the kind is recurring: runners keep exactly one pending job of it.
 */
export function registerJobHandler(kind: string, handler: JobHandler, options: HandlerOptions = {}): void {
  handlers.set(kind, { handler, options });
}

export function registeredJobKinds(): string[] {
  return [...handlers.keys()];
}

export interface EnqueueOptions {
  runAt?: Date;
  organizationId?: string | null;
  /** At most one pending job per key: a second enqueue with the same key is a no-op. */
  dedupeKey?: string;
  maxAttempts?: number;
}

/** Adds a job in the caller's transaction, so it exists exactly when the caller's work commits. */
export async function enqueueJob(tx: Tx, kind: string, payload: Record<string, unknown> = {}, options: EnqueueOptions = {}): Promise<void> {
  const runAt = (options.runAt ?? new Date()).toISOString();
  const insert = sql`INSERT INTO jobs (kind, payload, organization_id, dedupe_key, run_at, max_attempts)
    VALUES (${kind}, ${JSON.stringify(payload)}::jsonb, ${options.organizationId ?? null}, ${options.dedupeKey ?? null}, ${runAt}, ${options.maxAttempts ?? 8})`;
  await tx.execute(options.dedupeKey ? sql`${insert} ON CONFLICT (dedupe_key) WHERE done_at IS NULL AND failed_at IS NULL DO NOTHING` : insert);
}

/** Seconds before attempt n+1: 5 s, 10 s, 20 s … capped at one hour. */
export const backoffSeconds = (attempts: number): number => Math.min(3600, 5 * 2 ** Math.max(0, attempts - 1));

export interface RunnerOptions {
  pollIntervalMs?: number;
  /** How long a claimed job stays ours; a crashed runner's jobs are retried after it. */
  leaseMs?: number;
  batchSize?: number;
}

export class JobRunner {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private started = false;
  private recurringEnsured = false;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly batch: number;

  constructor(private readonly app: FastifyInstance, options: RunnerOptions = {}) {
    this.pollMs = options.pollIntervalMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.batch = options.batchSize ?? 20;
  }

  get isRunning(): boolean {
    return this.started;
  }

  /** Starts polling (idempotent). Recurring kinds get their first pending job. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops polling and waits for the jobs in hand to finish. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Polls now instead of at the next tick (new work was just committed). */
  wake(): void {
    if (this.started && !this.running) this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runOnce()
        .catch((err: unknown) => this.app.log.error({ err: { message: (err as Error).message } }, 'job runner pass failed'))
        .finally(() => {
          if (this.started && !this.timer) this.schedule(this.pollMs);
        });
    }, delay);
    this.timer.unref();
  }

  /** One pass: claims due jobs and runs them. Returns how many ran. Passes never overlap. */
  async runOnce(): Promise<number> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    if (!this.recurringEnsured) {
      await this.ensureRecurring();
      this.recurringEnsured = true;
    }
    let total = 0;
    for (;;) {
      const jobs = await this.claim();
      for (const job of jobs) await this.execute(job);
      total += jobs.length;
      if (jobs.length < this.batch) return total;
    }
  }

  private async ensureRecurring(): Promise<void> {
    const recurring = [...handlers.entries()].filter(([, r]) => r.options.next);
    if (!recurring.length) return;
    await this.app.db.system(async (tx) => {
      for (const [kind, r] of recurring) {
        await enqueueJob(tx, kind, {}, { dedupeKey: `recurring:${kind}`, runAt: new Date(), ...(r.options.maxAttempts ? { maxAttempts: r.options.maxAttempts } : {}) });
        if (r.options.runOnStart) {
          await tx.execute(sql`UPDATE jobs SET run_at = now() WHERE dedupe_key = ${`recurring:${kind}`} AND done_at IS NULL AND failed_at IS NULL
            AND run_at > now() AND (locked_until IS NULL OR locked_until < now())`);
        }
      }
    });
  }

  private async claim(): Promise<Job[]> {
    const claimed = await this.app.db.system((tx) =>
      rows<{ id: string; kind: string; payload: Record<string, unknown>; organization_id: string | null; attempts: number; max_attempts: number }>(
        tx,
        sql`UPDATE jobs SET attempts = attempts + 1, locked_by = ${this.workerId},
              locked_until = now() + make_interval(secs => ${this.leaseMs / 1000}::double precision)
            WHERE id IN (
              SELECT id FROM jobs
              WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now() AND (locked_until IS NULL OR locked_until < now())
              ORDER BY run_at, id LIMIT ${this.batch}
              FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, payload, organization_id, attempts, max_attempts`,
      ),
    );
    return claimed.map((j) => ({ id: j.id, kind: j.kind, payload: j.payload ?? {}, organizationId: j.organization_id, attempts: j.attempts, maxAttempts: j.max_attempts }));
  }

  private async execute(job: Job): Promise<void> {
    const registered = handlers.get(job.kind);
    const log = this.app.log.child({ job: job.id, kind: job.kind, attempt: job.attempts });
    try {
      if (!registered) throw new Error(`no handler registered for job kind '${job.kind}'`);
      await registered.handler(job, { app: this.app, db: this.app.db, log });
      await this.finish(job, registered, sql`done_at = now(), last_error = NULL`);
    } catch (err) {
      const message = ((err as Error).message ?? String(err)).slice(0, 2000);
      const final = job.attempts >= job.maxAttempts;
      log[final ? 'error' : 'warn']({ err: { message } }, final ? 'job failed for good' : 'job failed; will retry');
      await this.finish(
        job,
        registered,
        final
          ? sql`failed_at = now(), last_error = ${message}`
          : sql`run_at = now() + make_interval(secs => ${backoffSeconds(job.attempts)}::double precision), last_error = ${message}`,
      ).catch(() => undefined);
    }
  }

  /** Releases the lease with the outcome; a recurring kind gets its next run in the same transaction. */
  private async finish(job: Job, registered: Registered | undefined, outcome: SQL): Promise<void> {
    await this.app.db.system(async (tx) => {
      const [row] = await rows<{ done: boolean }>(
        tx,
        sql`UPDATE jobs SET ${outcome}, locked_until = NULL, locked_by = NULL WHERE id = ${job.id} AND locked_by = ${this.workerId}
            RETURNING (done_at IS NOT NULL OR failed_at IS NOT NULL) AS done`,
      );
      const next = registered?.options.next;
      if (row?.done && next) {
        await enqueueJob(tx, job.kind, {}, { dedupeKey: `recurring:${job.kind}`, runAt: next(new Date()) });
      }
    });
  }
}
