// The explicit context every use case receives: whose organisation, who acts, the transaction,
// and the request facts the audit log records.
import type { FastifyRequest } from 'fastify';
import { rows, sql, type TransactionOptions } from '../db/database.ts';
import { recordAudit } from '../audit/recorder.ts';
import { withAfterCommit } from './after-commit.ts';
import { requireActor, type Actor } from './auth.ts';
import { fieldError, notFound } from './errors.ts';
import { isId } from './fields.ts';
import { parseQueryString } from './query-string.ts';
import type { RequestMeta, ServiceContext } from './service-context.ts';

export type { RequestMeta, ServiceContext } from './service-context.ts';

export function requestMeta(request: FastifyRequest): RequestMeta {
  return { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '').slice(0, 500), requestId: request.id };
}

/**
 * Runs a use case in one transaction under the caller's organisation (row-level security on).
 * `orgId` overrides the organisation only for platform administrators acting on a tenant;
 * without it, a Super Admin who has no organisation acts in the one the request names
 * (namedOrganisation), else in none. `readOnly` is for reads (see TransactionOptions): they
 * have nothing to run after commit.
 */
export async function inTenant<T>(
  request: FastifyRequest,
  fn: (ctx: ServiceContext & { actor: Actor }) => Promise<T>,
  options: { orgId?: string | null } & TransactionOptions = {},
): Promise<T> {
  const { orgId: requested, ...transaction } = options;
  const actor = requireActor(request);
  let orgId = actor.orgId;
  if (actor.isSuperuser) {
    // An organisation a route passes on (from a query value or a record) must exist too.
    orgId = requested !== undefined
      ? requested && requested !== actor.orgId ? await existingOrganisation(request, requested) : requested
      : (actor.orgId ?? (await organisationNamedBy(request)));
    if (orgId && orgId !== actor.orgId) await auditAccess(request, actor, orgId, requested !== undefined ? 'route' : 'request');
  }
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

/**
 * Work on the caller's own records (their profile, an alert they raise): in their organisation,
 * or in platform scope for a Super Admin who has none and names none. Row-level security refuses
 * a tenant-scope row without an organisation (audit row, security event): those answered 500.
 */
export function inOwnScope<T>(request: FastifyRequest, fn: (ctx: ServiceContext & { actor: Actor }) => Promise<T>): Promise<T> {
  const actor = requireActor(request);
  if (actor.orgId || namesOrganisation(request)) return inTenant(request, fn);
  return inSystem(request, (ctx) => fn({ ...ctx, actor }));
}

export { ORGANIZATION_HEADER } from './auth.ts';
import { ORGANIZATION_HEADER } from './auth.ts';

/**
 * The organisation a request names for a Super Admin: the `X-Organization-Id` header or the
 * `organization` query value (read from the URL: not every route's query schema keeps it).
 */
export function namedOrganisation(request: FastifyRequest): string | undefined {
  const header = request.headers[ORGANIZATION_HEADER];
  const fromHeader = typeof header === 'string' && header.trim() ? header.trim() : undefined;
  const query = parseQueryString(request.url.split('?')[1] ?? '').organization;
  const fromQuery = typeof query === 'string' && query.trim() ? query.trim() : undefined;
  if (fromHeader && fromQuery && fromHeader !== fromQuery) {
    throw fieldError('organization', 'The X-Organization-Id header and ?organization= name different organisations.');
  }
  return fromHeader ?? fromQuery;
}

/** True when a platform administrator's request names an organisation to act in. */
export const namesOrganisation = (request: FastifyRequest) => namedOrganisation(request) !== undefined;

// Once per request however many transactions it runs.
const resolvedOrg = new WeakMap<FastifyRequest, Map<string, Promise<string>>>();
const auditedOrgs = new WeakMap<FastifyRequest, Set<string>>();

/** The organisation `id` names, or a 404 (a malformed id names none, like an unknown one). */
function existingOrganisation(request: FastifyRequest, id: string): Promise<string> {
  const seen = resolvedOrg.get(request) ?? new Map<string, Promise<string>>();
  resolvedOrg.set(request, seen);
  let found = seen.get(id);
  if (!found) {
    found = !isId(id)
      ? Promise.reject(notFound('Organisation not found.'))
      : request.server.db
          .system((tx) => rows<{ id: string }>(tx, sql`SELECT id FROM organizations WHERE id = ${id}`))
          .then(([org]) => {
            if (!org) throw notFound('Organisation not found.');
            return String(org.id);
          });
    seen.set(id, found);
  }
  return found;
}

/** The named organisation's id (null when none is named); a name that matches none is a 404. */
async function organisationNamedBy(request: FastifyRequest): Promise<string | null> {
  const named = namedOrganisation(request);
  return named === undefined ? null : existingOrganisation(request, named);
}

/**
 * A Super Admin reading or changing a tenant's data is written to that organisation's audit
 * log (entity `organization`, action `access`), in its own transaction: reads run read-only.
 */
async function auditAccess(request: FastifyRequest, actor: Actor, orgId: string, namedBy: 'route' | 'request'): Promise<void> {
  const seen = auditedOrgs.get(request) ?? new Set<string>();
  if (seen.has(orgId)) return;
  seen.add(orgId);
  auditedOrgs.set(request, seen);
  const meta = requestMeta(request);
  await request.server.db.system(
    (tx) =>
      recordAudit(
        { orgId, actor, tx, meta },
        { entity: 'organization', entityId: orgId, action: 'access', organizationId: orgId, newValues: { method: request.method, path: request.url.split('?')[0], named_by: namedBy } },
      ),
    { orgId: null, userId: actor.userId },
  );
}
