// The explicit context every use case receives: whose organisation, who acts, the transaction,
// and the request facts the audit log records.
import type { FastifyRequest } from 'fastify';
import type { TransactionOptions, Tx } from '../db/database.ts';
import { withAfterCommit, type AfterCommit } from './after-commit.ts';
import { requireActor, type Actor } from './auth.ts';

export interface RequestMeta {
  ip: string;
  userAgent: string;
  requestId: string;
}

export interface ServiceContext {
  orgId: string | null;
  actor: Actor | null;
  tx: Tx;
  meta: RequestMeta;
  /** Hooks run after the transaction commits (live pushes); absent where nobody runs them. */
  afterCommit?: AfterCommit;
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  return { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '').slice(0, 500), requestId: request.id };
}

/**
 * Runs a use case in one transaction under the caller's organisation (row-level security on).
 * `orgId` overrides the organisation only for platform administrators acting on a tenant;
 * `readOnly` is for reads (see TransactionOptions): they have nothing to run after commit.
 */
export function inTenant<T>(
  request: FastifyRequest,
  fn: (ctx: ServiceContext & { actor: Actor }) => Promise<T>,
  options: { orgId?: string | null } & TransactionOptions = {},
): Promise<T> {
  const { orgId: requested, ...transaction } = options;
  const actor = requireActor(request);
  const orgId = requested !== undefined && actor.isSuperuser ? requested : actor.orgId;
  return withAfterCommit(request.server, request.log, (afterCommit) =>
    request.server.db.tenant({ orgId, userId: actor.userId }, (tx) => fn({ orgId, actor, tx, meta: requestMeta(request), afterCommit }), transaction),
  );
}

/** Runs work in platform (system) scope: authentication and Super Admin operations. */
export function inSystem<T>(request: FastifyRequest, fn: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  const actor = request.actor;
  return withAfterCommit(request.server, request.log, (afterCommit) =>
    request.server.db.system(
      (tx) => fn({ orgId: actor?.orgId ?? null, actor, tx, meta: requestMeta(request), afterCommit }),
      { orgId: actor?.orgId ?? null, userId: actor?.userId ?? null },
    ),
  );
}
