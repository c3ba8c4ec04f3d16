// Idempotency-Key on requests that create money records: the first response is stored and
// replayed for retries; the same key with another body → 422; while the first is still being
// processed → 409. The claim, the work and the stored response are one transaction.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rows, sql } from '../db/database.ts';
import type { Actor } from './auth.ts';
import { inTenant, type ServiceContext } from './context.ts';
import { AppError, badRequest, conflict } from './errors.ts';

type Ctx = ServiceContext & { actor: Actor };

const ABANDONED_AFTER_SECONDS = 300;

/** A stable digest of the request: method, path and body, with files by content hash. */
function requestDigest(request: FastifyRequest): string {
  return digestOf(request.method, request.url.split('?')[0] ?? '', request.body);
}

export function digestOf(method: string, path: string, body: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Buffer.isBuffer(value)) return { sha256: createHash('sha256').update(value).digest('hex') };
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
    }
    return value;
  };
  return createHash('sha256').update(`${method} ${path}\n${JSON.stringify(canonical(body ?? null))}`).digest('hex');
}

type Stored = { request_hash: string; state: string; response_status: number | null; response_body: string | null; age: number };

const storedSql = (ctx: Ctx, key: string) =>
  sql`(SELECT json_build_object('request_hash', k.request_hash, 'state', k.state, 'response_status', k.response_status,
         'response_body', k.response_body, 'age', extract(epoch FROM now() - k.created_at)::int)
       FROM idempotency_keys k WHERE k.organization_id = ${ctx.orgId} AND k.user_id = ${ctx.actor.userId} AND k.key = ${key})`;

type Claim = { kind: 'new' } | { kind: 'replay'; status: number; body: string };

/**
 * Claims the key inside the work's own transaction, in one statement: a transaction-scoped
 * advisory lock on the key marks it in flight (another request holding it → 409), and the key's
 * row is inserted, uncommitted, so that it commits with the work or disappears with it. A key
 * already stored is replayed (or refused with another body). A process that dies releases the
 * key with its connection.
 */
async function claim(ctx: Ctx, request: FastifyRequest, key: string, digest: string): Promise<Claim> {
  const [row] = await rows<{ free: boolean; claimed: boolean; stored: Stored | null }>(
    ctx.tx,
    sql`WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtextextended(${`${ctx.orgId}:${ctx.actor.userId}:${key}`}, 0)) AS free),
        claimed AS (
          INSERT INTO idempotency_keys (organization_id, user_id, key, method, path, request_hash)
          SELECT ${ctx.orgId}::bigint, ${ctx.actor.userId}::bigint, ${key}::text, ${request.method}::text, ${request.url.split('?')[0]}::text, ${digest}::text
          FROM lock WHERE lock.free
          ON CONFLICT DO NOTHING RETURNING key)
        SELECT lock.free, EXISTS (SELECT 1 FROM claimed) AS claimed, ${storedSql(ctx, key)} AS stored FROM lock`,
  );
  if (!row?.free) throw inFlight();
  if (row.claimed) return { kind: 'new' };
  // Stored by a request that committed after this statement's snapshot was taken: read it now.
  const stored = row.stored ?? (await rows<{ stored: Stored | null }>(ctx.tx, sql`SELECT ${storedSql(ctx, key)} AS stored`))[0]?.stored;
  if (!stored) throw inFlight(); // deleted meanwhile (an older version's failed attempt): let the client retry
  if (stored.request_hash !== digest) throw new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
  if (stored.state === 'done') return { kind: 'replay', status: stored.response_status ?? 200, body: stored.response_body ?? 'null' };
  // 'in_flight' rows are committed only by versions before this one (a claim of its own); one
  // that old belongs to a process that died mid-request, and is taken over.
  if (stored.age < ABANDONED_AFTER_SECONDS) throw inFlight();
  await ctx.tx.execute(sql`UPDATE idempotency_keys SET created_at = now() WHERE organization_id = ${ctx.orgId} AND user_id = ${ctx.actor.userId} AND key = ${key}`);
  return { kind: 'new' };
}

const inFlight = () => conflict('A request with this Idempotency-Key is still being processed.', 'idempotency_in_flight');

/**
 * Runs `work` in the caller's tenant transaction and sends its result with `status`, honouring
 * an Idempotency-Key header when present: the key is claimed, the work done and its response
 * stored in that one transaction.
 */
export async function sendIdempotent(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  work: (ctx: Ctx) => Promise<unknown>,
): Promise<FastifyReply> {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return reply.code(status).send(await inTenant(request, work));
  const key = String(header).trim();
  if (!key || key.length > 200) throw badRequest('Idempotency-Key must be 1 to 200 characters.');
  const digest = requestDigest(request);
  const outcome = await inTenant(request, async (ctx) => {
    const claimed = await claim(ctx, request, key, digest);
    if (claimed.kind === 'replay') return claimed;
    const result = await work(ctx);
    await ctx.tx.execute(sql`UPDATE idempotency_keys SET state = 'done', response_status = ${status}, response_body = ${JSON.stringify(result)}
      WHERE organization_id = ${ctx.orgId} AND user_id = ${ctx.actor.userId} AND key = ${key}`);
    return { kind: 'new' as const, body: result };
  });
  if (outcome.kind === 'replay') return reply.code(outcome.status).header('idempotent-replayed', 'true').send(JSON.parse(outcome.body));
  return reply.code(status).send(outcome.body);
}
