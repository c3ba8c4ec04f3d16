// Deals: list with filters and visibility, create with first payments atomically, update with
// optimistic locking, soft delete, approval, expansion and the activity feed.
import { containsPattern } from '../../core/db/like.ts';
import type { SQL } from 'drizzle-orm';
import { rows, sql } from '../../core/db/database.ts';
import { nextCode } from '../../core/db/codes.ts';
import type { Actor } from '../../core/http/auth.ts';
import { hasPermission } from '../../core/http/auth.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { conflict, fieldError, forbidden, notFound, preconditionFailed, ValidationError } from '../../core/http/errors.ts';
import { isId } from '../../core/http/fields.ts';
import { checkedFile, RECEIPT_KINDS, type UploadBatch } from '../../core/files/uploads.ts';
import { money, sum, toCents } from '../../core/money.ts';
import { visibilityFor, visibleTo } from '../../core/access/visibility.ts';
import { logActivity } from '../activity/recorder.ts';
import { diff, recordAudit } from '../../core/audit/recorder.ts';
import { recordPayment } from '../payments/service.ts';
import { notifyDealCreated } from '../../core/notifications/triggers.ts';
import { streakDaysChanged } from '../streaks/service.ts';
import * as repo from './repo.ts';
import type { DealCreateInput, DealUpdateInput } from './schemas.ts';

type Ctx = ServiceContext & { actor: Actor };

export const dealVisibility = (actor: Actor) => visibleTo(visibilityFor(actor, 'deals'), actor, sql`d.created_by`);

function orgOf(ctx: Ctx): string {
  if (!ctx.orgId) throw notFound('No organisation selected.');
  return ctx.orgId;
}

export async function requireDeal(ctx: Ctx, ref: string, forUpdate = false): Promise<repo.DealRow> {
  const deal = await repo.findDeal(ctx.tx, orgOf(ctx), ref, dealVisibility(ctx.actor), forUpdate);
  if (!deal) throw notFound('Deal not found.');
  return deal;
}

const ORDERINGS: Record<string, SQL> = {
  created_at: sql`d.created_at`,
  '-created_at': sql`d.created_at DESC`,
  deal_date: sql`d.deal_date`,
  '-deal_date': sql`d.deal_date DESC`,
  deal_value: sql`d.deal_value`,
  '-deal_value': sql`d.deal_value DESC`,
  due_date: sql`d.due_date`,
  '-due_date': sql`d.due_date DESC`,
  deal_name: sql`d.deal_name`,
  '-deal_name': sql`d.deal_name DESC`,
  deal_id: sql`d.deal_code`,
  '-deal_id': sql`d.deal_code DESC`,
};

export interface DealQuery {
  search?: string | undefined;
  ordering?: string | undefined;
  client?: string | undefined;
  client_id?: string | undefined;
  status?: string | undefined;
  payment_status?: string | undefined;
  verification_status?: string | undefined;
  date_from?: string | undefined;
  date_to?: string | undefined;
  start_date?: string | undefined;
  end_date?: string | undefined;
  created_by?: string | undefined;
}

export async function listDeals(ctx: Ctx, q: DealQuery, page: { limit: number; offset: number }) {
  const where: SQL[] = [];
  const client = q.client || q.client_id;
  if (client) where.push(isId(client) ? sql`d.client_id = ${client}` : sql`false`);
  const status = (q.payment_status || q.status)?.replace('initial_payment', 'initial payment');
  if (status) where.push(sql`d.payment_status = ${status}`);
  if (q.verification_status) where.push(sql`d.verification_status = ${q.verification_status}`);
  const from = q.date_from ?? q.start_date;
  const to = q.date_to ?? q.end_date;
  if (from) where.push(sql`d.deal_date >= ${from}`);
  if (to) where.push(sql`d.deal_date <= ${to}`);
  if (q.created_by) where.push(isId(q.created_by) ? sql`d.created_by = ${q.created_by}` : sql`false`);
  if (q.search) {
    const like = containsPattern(q.search);
    where.push(sql`(d.deal_name ILIKE ${like} OR d.deal_code ILIKE ${like} OR c.client_name ILIKE ${like})`);
  }
  const result = await repo.listDeals(ctx.tx, {
    orgId: orgOf(ctx),
    visible: dealVisibility(ctx.actor),
    where,
    ordering: ORDERINGS[q.ordering ?? ''] ?? sql`d.created_at DESC`,
    ...page,
  });
  return { ...result, ...(await childrenOf(ctx, result.rows.map((d) => d.id))) };
}

/**
 * Payments and the last 10 activity entries of a set of deals, in two queries, one after the
 * other: a transaction has one connection, and node-postgres only queues (and warns about)
 * queries issued on it concurrently.
 */
export async function childrenOf(ctx: Ctx, dealIds: string[]) {
  const payments = await repo.paymentsOfDeals(ctx.tx, dealIds);
  const activity = await repo.activityOfDeals(ctx.tx, dealIds, 10);
  return { payments, activity };
}

async function resolveClient(ctx: Ctx, ref: string): Promise<{ id: string; client_name: string }> {
  const visibility = visibleTo(visibilityFor(ctx.actor, 'clients'), ctx.actor, sql`c.created_by`);
  const [client] = isId(ref)
    ? await rows<{ id: string; client_name: string }>(
        ctx.tx,
        sql`SELECT c.id, c.client_name FROM clients c WHERE c.organization_id = ${ctx.orgId} AND c.id = ${ref} AND c.deleted_at IS NULL AND ${visibility}`,
      )
    : [];
  if (!client) throw fieldError('client_id', 'Client not found.');
  return client;
}

async function resolveProject(ctx: Ctx, ref: string | null | undefined): Promise<string | null> {
  if (!ref) return null;
  const found = isId(ref) ? await rows(ctx.tx, sql`SELECT 1 FROM projects WHERE organization_id = ${ctx.orgId} AND id = ${ref}`) : [];
  if (!found.length) throw fieldError('project_id', 'Project not found.');
  return ref;
}

/** Checks every receipt before anything is stored or written. */
export function checkReceipts(input: DealCreateInput) {
  return (input.payments ?? []).map((p, i) => (p.receipt_file ? checkedFile(p.receipt_file, RECEIPT_KINDS, `payments.${i}.receipt_file`) : undefined));
}

export async function createDeal(ctx: Ctx, input: DealCreateInput, uploads: UploadBatch): Promise<string> {
  const orgId = orgOf(ctx);
  const receipts = checkReceipts(input);
  const client = await resolveClient(ctx, (input.client_id || input.client)!);
  const projectId = await resolveProject(ctx, input.project_id);
  const dealDate = input.deal_date ?? new Date().toISOString().slice(0, 10);
  if (input.due_date && input.due_date < dealDate) throw fieldError('due_date', 'The due date cannot be before the deal date.');
  const payments = input.payments ?? [];
  const received = sum(payments.map((p) => p.received_amount));
  if (received.greaterThan(input.deal_value)) {
    throw new ValidationError({ payments: [`The payments (${toCents(received)}) exceed the deal value (${toCents(input.deal_value)}).`] });
  }
  const cheques = payments.map((p) => p.cheque_number).filter((c): c is string => !!c);
  if (new Set(cheques).size !== cheques.length) throw new ValidationError({ payments: ['The same cheque number appears twice.'] });

  const code = await nextCode(ctx.tx, orgId, 'deal');
  const currency = input.currency ?? 'USD';
  const dealId = await repo.insertDeal(ctx.tx, {
    orgId,
    code,
    clientId: client.id,
    projectId,
    dealName: input.deal_name ?? '',
    dealValue: input.deal_value,
    currency,
    dealDate,
    dueDate: input.due_date ?? null,
    paymentStatus: input.payment_status ?? 'initial payment',
    paymentMethod: input.payment_method,
    sourceType: input.source_type ?? 'others',
    remarks: input.deal_remarks ?? '',
    createdBy: ctx.actor.userId,
  });
  await logActivity(ctx, { dealId, clientId: client.id, action: 'created', description: `Deal ${code} created for ${client.client_name}.` });
  await recordAudit(ctx, {
    entity: 'deal',
    entityId: dealId,
    action: 'create',
    newValues: { deal_id: code, client: client.id, deal_value: toCents(input.deal_value), currency, payment_method: input.payment_method },
  });
  await notifyDealCreated(ctx, { id: dealId, code, name: input.deal_name ?? '', value: input.deal_value, currency, clientName: client.client_name });
  const payable = { id: dealId, deal_code: code, deal_value: input.deal_value, currency, payment_method: input.payment_method, due_date: input.due_date ?? null, client_id: client.id };
  for (const [i, p] of payments.entries()) {
    await recordPayment(ctx, payable, p, receipts[i], uploads, (f) => `payments.${i}.${f}`);
  }
  if (payments.length) await ctx.tx.execute(sql`UPDATE deals SET payment_count = ${payments.length} WHERE id = ${dealId}`);
  await streakDaysChanged(ctx, ctx.actor.userId, [dealDate]);
  return dealId;
}

/** `If-Match: 3` (or `"3"`, `W/"3"`) or a numeric `version` in the body: 412 when stale. */
export function expectedVersion(ifMatch: string | undefined, bodyVersion: DealUpdateInput['version']): number | undefined {
  const header = ifMatch?.replace(/^W\//, '').replace(/"/g, '').trim();
  if (header && /^\d+$/.test(header)) return Number(header);
  if (typeof bodyVersion === 'number') return bodyVersion;
  if (typeof bodyVersion === 'string' && /^\d+$/.test(bodyVersion)) return Number(bodyVersion);
  return undefined;
}

export async function updateDeal(ctx: Ctx, ref: string, input: DealUpdateInput, ifMatch: string | undefined): Promise<string> {
  const before = await requireDeal(ctx, ref, true);
  const expected = expectedVersion(ifMatch, input.version);
  if (expected !== undefined && expected !== before.version) throw preconditionFailed();
  const sets: SQL[] = [];
  const decisions: SQL[] = []; // verification, not an edit: no version bump
  const after: Record<string, unknown> = {};
  const set = (column: string, value: unknown) => {
    sets.push(sql`${sql.identifier(column)} = ${value}`);
    after[column] = value;
  };
  if (input.client_id || input.client) set('client_id', (await resolveClient(ctx, (input.client_id || input.client)!)).id);
  if (input.project_id !== undefined) set('project_id', await resolveProject(ctx, input.project_id));
  if (input.deal_name !== undefined) set('deal_name', input.deal_name);
  if (input.deal_value !== undefined) {
    if (money(input.deal_value).lessThan(before.verified_total)) throw fieldError('deal_value', 'The value cannot be below the money already verified.');
    set('deal_value', input.deal_value);
  }
  if (input.currency !== undefined && input.currency !== before.currency) {
    if (before.payment_count > 0) throw fieldError('currency', 'The currency cannot change once payments are recorded.');
    set('currency', input.currency);
  }
  if (input.deal_date !== undefined) set('deal_date', input.deal_date);
  if (input.due_date !== undefined) set('due_date', input.due_date);
  const dealDate = (after.deal_date as string | undefined) ?? before.deal_date;
  const dueDate = after.due_date !== undefined ? (after.due_date as string | null) : before.due_date;
  if (dueDate && dueDate < dealDate) throw fieldError('due_date', 'The due date cannot be before the deal date.');
  if (input.payment_status !== undefined) set('declared_payment_status', input.payment_status);
  if (input.payment_method !== undefined) set('payment_method', input.payment_method);
  if (input.source_type !== undefined) set('source_type', input.source_type);
  if (input.deal_remarks !== undefined) set('deal_remarks', input.deal_remarks);
  if (input.verification_status !== undefined && input.verification_status !== before.verification_status) {
    if (!hasPermission(ctx.actor, 'deals:verify')) throw forbidden('Only users who may approve deals can change the verification status.');
    if (input.verification_status === 'verified') await approve(ctx, before);
    else {
      decisions.push(sql`approved_at = NULL`);
      after.approved_at = null;
    }
  }
  if (sets.length || decisions.length) await repo.updateDealColumns(ctx.tx, before.id, sets, ctx.actor.userId, decisions);
  await repo.refreshDealMoney(ctx.tx, before.id);
  await streakDaysChanged(ctx, before.created_by, [before.deal_date, dealDate]);
  const changes = diff(before as unknown as Record<string, unknown>, after);
  if (changes.changed) {
    await logActivity(ctx, {
      dealId: before.id,
      action: 'updated',
      description: `Deal updated: ${Object.keys(changes.newValues).map((k) => `${k}: ${String(changes.oldValues[k] ?? '')} -> ${String(changes.newValues[k] ?? '')}`).join('; ')}`,
    });
    await recordAudit(ctx, { entity: 'deal', entityId: before.id, action: 'update', oldValues: changes.oldValues, newValues: changes.newValues });
  }
  return before.id;
}

async function approve(ctx: Ctx, deal: repo.DealRow) {
  await ctx.tx.execute(sql`UPDATE deals SET approved_by = ${ctx.actor.userId}, approved_at = now(), updated_by = ${ctx.actor.userId} WHERE id = ${deal.id}`);
  await logActivity(ctx, { dealId: deal.id, action: 'approved', description: `Deal ${deal.deal_code} approved.` });
  await recordAudit(ctx, { entity: 'deal', entityId: deal.id, action: 'approve', oldValues: { verification_status: deal.verification_status }, newValues: { verification_status: 'verified' } });
}

export async function approveDeal(ctx: Ctx, ref: string): Promise<string> {
  const deal = await requireDeal(ctx, ref, true);
  if (deal.created_by === ctx.actor.userId) throw forbidden('You cannot approve your own deal.', 'self_approval');
  if (deal.approved_at) throw conflict('The deal is already approved.', 'already_approved');
  await approve(ctx, deal);
  await repo.refreshDealMoney(ctx.tx, deal.id);
  await streakDaysChanged(ctx, deal.created_by, [deal.deal_date]);
  return deal.id;
}

/** Soft delete; a deal with verified money keeps its history and cannot be deleted. */
export async function deleteDeal(ctx: Ctx, ref: string): Promise<void> {
  const deal = await requireDeal(ctx, ref, true);
  if (money(deal.verified_total).greaterThan(0)) throw conflict('The deal has verified payments and cannot be deleted.', 'protected');
  await ctx.tx.execute(sql`UPDATE deals SET deleted_at = now(), updated_by = ${ctx.actor.userId} WHERE id = ${deal.id}`);
  await streakDaysChanged(ctx, deal.created_by, [deal.deal_date]);
  await logActivity(ctx, { dealId: deal.id, action: 'deleted', description: `Deal ${deal.deal_code} deleted.` });
  await recordAudit(ctx, { entity: 'deal', entityId: deal.id, action: 'delete', oldValues: { deal_id: deal.deal_code, deal_value: deal.deal_value } });
}

export async function addNote(ctx: Ctx, ref: string, description: string, action = 'note') {
  const deal = await requireDeal(ctx, ref);
  await logActivity(ctx, { dealId: deal.id, action, description });
  await recordAudit(ctx, { entity: 'deal', entityId: deal.id, action: 'log_activity', newValues: { action, description } });
  return deal.id;
}

export async function activityOf(ctx: Ctx, ref: string, limit: number) {
  const deal = await requireDeal(ctx, ref);
  return repo.activityOfDeals(ctx.tx, [deal.id], limit);
}
