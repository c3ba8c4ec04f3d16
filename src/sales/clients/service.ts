// Clients: list (search, filters, own/team/all visibility), detail with its recent activity,
// create, update and soft delete — each write audited and logged in the client's feed.
import type { SQL } from 'drizzle-orm';
import { pgConstraint, pgErrorCode } from '../../core/db/errors.ts';
import { sql } from '../../core/db/database.ts';
import { conflict, duplicate, fieldError, notFound } from '../../core/http/errors.ts';
import { isId } from '../../core/http/fields.ts';
import { visibilityFor, visibleTo } from '../../core/access/visibility.ts';
import { logActivity } from '../activity/recorder.ts';
import { diff, recordAudit } from '../../core/audit/recorder.ts';
import { notifyCreatedInOrg } from '../../core/notifications/triggers.ts';
import { containsPattern, orgForWrite, type Ctx } from '../../core/http/org-scope.ts';
import * as repo from './repo.ts';
import type { ClientInput, ClientListFilters } from './schemas.ts';

const ORDERINGS: Record<string, SQL> = {
  client_name: sql`c.client_name`,
  '-client_name': sql`c.client_name DESC`,
  created_at: sql`c.created_at`,
  '-created_at': sql`c.created_at DESC`,
};

const NOT_FOUND = 'Client not found.';
const DUPLICATE_EMAIL = 'A client with this email already exists in this organisation.';
const RECENT_ACTIVITIES = 10;

/** The rows the actor may see: all, their teams', or their own (403 without any view permission). */
function visibility(ctx: Ctx): SQL {
  return visibleTo(visibilityFor(ctx.actor, 'clients'), ctx.actor, sql`c.created_by`);
}

export async function listClients(ctx: Ctx, f: ClientListFilters, page: { limit: number; offset: number }) {
  const visible = visibility(ctx);
  if (!ctx.orgId) return { count: 0, rows: [] };
  const conditions: SQL[] = [visible];
  const term = f.search?.trim();
  if (term) {
    const like = containsPattern(term);
    const digits = term.replace(/[\s-]/g, '');
    conditions.push(sql`(c.client_name ILIKE ${like} OR c.email ILIKE ${like} OR c.phone_number ILIKE ${like}
      OR c.phone_number ILIKE ${containsPattern(digits)})`);
  }
  if (f.status) conditions.push(sql`c.status = ${f.status}`);
  if (f.satisfaction) conditions.push(sql`c.satisfaction = ${f.satisfaction}`);
  if (f.client_type) conditions.push(sql`c.client_type = ${f.client_type}`);
  if (f.created_by) {
    if (!isId(f.created_by)) throw fieldError('created_by', 'Select a valid user.');
    conditions.push(sql`c.created_by = ${f.created_by}`);
  }
  return repo.listClients(ctx.tx, {
    orgId: ctx.orgId,
    conditions,
    ordering: ORDERINGS[f.ordering ?? ''] ?? ORDERINGS.client_name!,
    ...page,
  });
}

/** A client the actor may see, or a 404 (never a 403 that would confirm it exists). */
async function visibleClient(ctx: Ctx, id: string): Promise<repo.ClientRow> {
  const orgId = ctx.orgId;
  const visible = visibility(ctx);
  const client = orgId && isId(id) ? await repo.findClient(ctx.tx, orgId, id, visible) : undefined;
  if (!client) throw notFound(NOT_FOUND);
  return client;
}

export async function getClient(ctx: Ctx, id: string) {
  const client = await visibleClient(ctx, id);
  const activities = await repo.listActivities(ctx.tx, client.organization_id, id, RECENT_ACTIVITIES, 0);
  return { client, activities };
}

export async function listClientActivity(ctx: Ctx, id: string, page: { limit: number; offset: number }) {
  const client = await visibleClient(ctx, id);
  const count = await repo.countActivities(ctx.tx, client.organization_id, id);
  return { count, rows: await repo.listActivities(ctx.tx, client.organization_id, id, page.limit, page.offset) };
}

/**
 * The fields a user may write. `status` is not among them: it follows the client's money
 * (`refreshClientStatus`), and the web client's edit form sends it back unchanged, so it is
 * validated and ignored rather than refused.
 */
function values(input: ClientInput): repo.ClientValues {
  return {
    client_name: input.client_name,
    email: input.email,
    phone_number: input.phone_number,
    nationality: input.nationality,
    address: input.address,
    remarks: input.remarks,
    satisfaction: input.satisfaction,
    client_type: input.client_type,
    company_name: input.company_name,
    website: input.website,
    tax_id: input.tax_id,
    contact_person: input.contact_person,
  };
}

/** The audited picture of a client: its own fields, none of the derived ones. */
function snapshot(c: repo.ClientRow): Record<string, unknown> {
  return {
    client_name: c.client_name, email: c.email, phone_number: c.phone_number, nationality: c.nationality, address: c.address,
    remarks: c.remarks, satisfaction: c.satisfaction, status: c.status, client_type: c.client_type, company_name: c.company_name,
    website: c.website, tax_id: c.tax_id, contact_person: c.contact_person,
  };
}

/** The unique index is the final word when two requests race past the pre-check. */
async function uniqueEmail<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'clients_org_email_key') throw duplicate('email', DUPLICATE_EMAIL);
    throw err;
  }
}

export async function createClient(ctx: Ctx, input: ClientInput & { client_name: string; email: string }) {
  const orgId = orgForWrite(ctx);
  if (await repo.emailTaken(ctx.tx, orgId, input.email)) throw duplicate('email', DUPLICATE_EMAIL);
  const id = await uniqueEmail(() => repo.insertClient(ctx.tx, orgId, ctx.actor.userId, values(input)));
  const created = (await repo.findClient(ctx.tx, orgId, id, sql`true`))!;
  await recordAudit(ctx, { entity: 'client', entityId: id, action: 'create', newValues: snapshot(created) });
  await logActivity(ctx, { clientId: id, action: 'created', description: `Client "${created.client_name}" was created.` });
  await notifyCreatedInOrg(ctx, 'client', { id, name: created.client_name });
  return { client: created, activities: await repo.listActivities(ctx.tx, orgId, id, RECENT_ACTIVITIES, 0) };
}

export async function updateClient(ctx: Ctx, id: string, input: ClientInput) {
  const before = await visibleClient(ctx, id);
  const orgId = before.organization_id;
  if (input.email !== undefined && input.email !== before.email && (await repo.emailTaken(ctx.tx, orgId, input.email, id))) {
    throw duplicate('email', DUPLICATE_EMAIL);
  }
  const changes = diff(snapshot(before), { ...snapshot(before), ...definedOnly(values(input)) });
  if (changes.changed) {
    await uniqueEmail(() => repo.updateClient(ctx.tx, orgId, id, ctx.actor.userId, values(input)));
    await recordAudit(ctx, { entity: 'client', entityId: id, action: 'update', oldValues: changes.oldValues, newValues: changes.newValues });
    await logActivity(ctx, {
      clientId: id,
      action: 'updated',
      description: `Client updated: ${Object.keys(changes.newValues).join(', ')}.`,
      metadata: { fields: Object.keys(changes.newValues) },
    });
  }
  return getClient(ctx, id);
}

/** Soft delete; refused while the client has deals (their history must keep its client). */
export async function deleteClient(ctx: Ctx, id: string) {
  const before = await visibleClient(ctx, id);
  const orgId = before.organization_id;
  const deals = await repo.countLiveDeals(ctx.tx, orgId, id);
  if (deals > 0) {
    throw conflict(`The client has ${deals} deal(s); delete or reassign them first.`, 'client_has_deals');
  }
  await repo.softDeleteClient(ctx.tx, orgId, id, ctx.actor.userId);
  await recordAudit(ctx, { entity: 'client', entityId: id, action: 'delete', oldValues: snapshot(before) });
  await logActivity(ctx, { clientId: id, action: 'deleted', description: `Client "${before.client_name}" was deleted.` });
}

function definedOnly(v: repo.ClientValues): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v).filter(([, value]) => value !== undefined));
}
