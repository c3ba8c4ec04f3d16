// Idempotency-Key on requests that create money records: the first response is stored and
// replayed for retries; the same key with another body → 422; while the first is still being
// processed → 409. The stored response commits in the same transaction as the work.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rows, sql, type Tx } from '../db/database.ts';
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

type Claim = { kind: 'new' } | { kind: 'replay'; status: number; body: string };

async function claim(tx: Tx, orgId: string, userId: string, key: string, request: FastifyRequest, digest: string): Promise<Claim> {
  const inserted = await rows(
    tx,
    sql`INSERT INTO idempotency_keys (organization_id, user_id, key, method, path, request_hash)
        VALUES (${orgId}, ${userId}, ${key}, ${request.method}, ${request.url.split('?')[0]}, ${digest})
        ON CONFLICT DO NOTHING RETURNING key`,
  );
  if (inserted.length) return { kind: 'new' };
  const [existing] = await rows<{ request_hash: string; state: string; response_status: number | null; response_body: string | null; age: number }>(
    tx,
    sql`SELECT request_hash, state, response_status, response_body, extract(epoch FROM now() - created_at)::int AS age
        FROM idempotency_keys WHERE organization_id = ${orgId} AND user_id = ${userId} AND key = ${key} FOR UPDATE`,
  );
  if (!existing) return claim(tx, orgId, userId, key, request, digest);
  if (existing.request_hash !== digest) {
    throw new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
  }
  if (existing.state === 'done') return { kind: 'replay', status: existing.response_status ?? 200, body: existing.response_body ?? 'null' };
  if (existing.age < ABANDONED_AFTER_SECONDS) throw conflict('A request with this Idempotency-Key is still being processed.', 'idempotency_in_flight');
  // A process died mid-request: the key is taken over.
  await tx.execute(sql`UPDATE idempotency_keys SET created_at = now() WHERE organization_id = ${orgId} AND user_id = ${userId} AND key = ${key}`);
  return { kind: 'new' };
}

/**
 * Runs `work` in the caller's tenant transaction and sends its result with `status`, honouring
 * an Idempotency-Key header when present.
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
  const claimed = await inTenant(request, (ctx) => claim(ctx.tx, ctx.orgId!, ctx.actor.userId, key, request, digest));
  if (claimed.kind === 'replay') {
    return reply.code(claimed.status).header('idempotent-replayed', 'true').send(JSON.parse(claimed.body));
  }
  try {
    const body = await inTenant(request, async (ctx) => {
      const result = await work(ctx);
      await ctx.tx.execute(sql`UPDATE idempotency_keys SET state = 'done', response_status = ${status}, response_body = ${JSON.stringify(result)}
        WHERE organization_id = ${ctx.orgId} AND user_id = ${ctx.actor.userId} AND key = ${key}`);
      return result;
    });
    return reply.code(status).send(body);
  } catch (err) {
    // A failed attempt leaves nothing behind: the client may retry with the same key.
    await inTenant(request, (ctx) =>
      ctx.tx.execute(sql`DELETE FROM idempotency_keys WHERE organization_id = ${ctx.orgId} AND user_id = ${ctx.actor.userId} AND key = ${key} AND state = 'in_flight'`),
    ).catch(() => undefined);
    throw err;
  }
}
