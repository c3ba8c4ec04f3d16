// Which organisation a sales request acts in (shared by clients, teams and projects).
// Members always act in their own organisation. A Super Admin without one acts in the
// organisation a request names (inTenant: `?organization=` or X-Organization-Id; a create's
// body `organization`) or in the one that owns the record (by-id routes) — always one
// organisation per transaction, row-level security on.
import type { FastifyRequest } from 'fastify';
import { rows, sql } from '../db/database.ts';
import { requireActor, type Actor } from './auth.ts';
import { inSystem, inTenant, type ServiceContext } from './context.ts';
import { fieldError, notFound } from './errors.ts';
import { isId } from './fields.ts';

export type Ctx = ServiceContext & { actor: Actor };
export type OwnedTable = 'clients' | 'teams' | 'projects';

const platformAdmin = (actor: Actor) => actor.isSuperuser && !actor.orgId;

/** Runs fn in the organisation that owns row `id` of `table`; a malformed or unknown id is a 404. */
export async function inRecordOrg<T>(request: FastifyRequest, table: OwnedTable, id: string, notFoundText: string, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  if (!isId(id)) throw notFound(notFoundText);
  const actor = requireActor(request);
  if (!platformAdmin(actor)) return inTenant(request, fn);
  const [owner] = await inSystem(request, (c) =>
    rows<{ organization_id: string }>(c.tx, sql`SELECT organization_id FROM ${sql.identifier(table)} WHERE id = ${id}`),
  );
  if (!owner) throw notFound(notFoundText);
  return inTenant(request, fn, { orgId: owner.organization_id });
}

/**
 * Runs fn in the caller's organisation. A Super Admin without one acts in the organisation
 * named by `organization` of a create's body (an unknown one leaves ctx.orgId null: a field
 * error), else by the request like on every tenant route (inTenant: header or query).
 */
export async function inNamedOrg<T>(request: FastifyRequest, organization: unknown, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const actor = requireActor(request);
  if (!platformAdmin(actor) || organization === undefined) return inTenant(request, fn);
  const named = typeof organization === 'string' && isId(organization) ? organization : null;
  const exists = named
    ? (await inSystem(request, (c) => rows(c.tx, sql`SELECT 1 FROM organizations WHERE id = ${named}`))).length > 0
    : false;
  return inTenant(request, fn, { orgId: exists ? named : null });
}

/**
 * True when a member names an organisation other than their own in a list filter (the web
 * client sends its own id): such a list is simply empty. Super Admins without an organisation
 * name the one they act in instead (see inNamedOrg).
 */
export function namesOtherOrg(actor: Actor, organization: string | undefined): boolean {
  return !!organization && !platformAdmin(actor) && organization !== actor.orgId;
}

/** The organisation of a write; a Super Admin who named none gets a field error. */
export function orgForWrite(ctx: Ctx): string {
  if (!ctx.orgId) throw fieldError('organization', 'This field is required.');
  return ctx.orgId;
}

export { containsPattern } from '../db/like.ts';

/** Timestamps leave as ISO 8601 UTC strings, whichever driver read them. */
export const iso = (value: string | Date): string => new Date(value).toISOString();
