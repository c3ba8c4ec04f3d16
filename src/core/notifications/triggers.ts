// The notification triggers of product.md §6, called by the use cases that cause them, inside
// their transactions: payment recorded → the organisation's verifiers; payment decided → the
// deal's owner; deal, user, team, project created → org admins; organisation created → Super
// Admins; commission approved → the salesperson. Beyond §6's list (the original's types, aimed
// at real roles): payment refunded / bad debt → the deal's owner and the org admins; client
// created → Org Admins and Supervisors who see every client; role created → the other org admins.
// The acting user is never notified of their own act.
import type { Tx } from '../db/database.ts';
import type { ServiceContext } from '../http/context.ts';
import { toCents } from '../money.ts';
import { clientOverseersOf, dealOwner, orgAdminsOf, superAdmins, verifiersOf } from './recipients.ts';
import { dataId } from './present.ts';
import { notify } from './service.ts';

const who = (ctx: ServiceContext): string => (ctx.actor ? `${ctx.actor.firstName} ${ctx.actor.lastName}`.trim() || ctx.actor.email : 'PRS');

export async function notifyPaymentRecorded(
  ctx: ServiceContext,
  p: { paymentId: string; transactionId: string; amount: string; method: string; deal: { id: string; deal_code: string; currency: string } },
): Promise<void> {
  if (!ctx.orgId) return;
  const amount = toCents(p.amount);
  await notify(ctx, {
    recipients: verifiersOf(ctx.orgId),
    type: 'payment_received',
    priority: 'high',
    title: `Payment received: ${amount} ${p.deal.currency}`,
    message: `${who(ctx)} recorded payment ${p.transactionId} of ${amount} ${p.deal.currency} (${p.method}) on deal ${p.deal.deal_code}. It is waiting for verification.`,
    data: { payment_id: dataId(p.paymentId), transaction_id: p.transactionId, amount, currency: p.deal.currency, deal_id: dataId(p.deal.id), deal_code: p.deal.deal_code, recorded_by: who(ctx) },
    actionUrl: `/verifier/verifier-form/${p.paymentId}`,
    related: { type: 'payment', id: p.paymentId },
  });
}

export async function notifyPaymentDecided(
  ctx: ServiceContext,
  payment: { id: string; deal_id: string; deal_code: string; transaction_id: string; currency: string },
  decision: 'approved' | 'rejected' | 'requires_info',
  verifiedAmount: string | null,
  remarks: string,
): Promise<void> {
  if (!ctx.orgId) return;
  const owner = await dealOwner(ctx.tx, ctx.orgId, payment.deal_id);
  if (!owner) return;
  const type = { approved: 'payment_verified', rejected: 'payment_rejected', requires_info: 'payment_info_requested' }[decision];
  const headline = {
    approved: `Payment ${payment.transaction_id} verified`,
    rejected: `Payment ${payment.transaction_id} rejected`,
    requires_info: `Payment ${payment.transaction_id} needs more information`,
  }[decision];
  const amount = verifiedAmount ? ` (${verifiedAmount} ${payment.currency})` : '';
  await notify(ctx, {
    recipients: [owner],
    type,
    priority: 'high',
    title: headline,
    message: `${headline}${amount} on deal ${payment.deal_code} by ${who(ctx)}${remarks ? `: ${remarks}` : '.'}`,
    data: { payment_id: dataId(payment.id), transaction_id: payment.transaction_id, deal_id: dataId(payment.deal_id), deal_code: payment.deal_code, decision, verified_amount: verifiedAmount, remarks },
    actionUrl: `/salesperson/deal/${payment.deal_code}`,
    related: { type: 'payment', id: payment.id },
  });
}

export async function notifyDealCreated(
  ctx: ServiceContext,
  d: { id: string; code: string; name: string; value: string; currency: string; clientName: string },
): Promise<void> {
  if (!ctx.orgId) return;
  await notify(ctx, {
    recipients: await orgAdminsOf(ctx.tx, ctx.orgId),
    type: 'deal_created',
    priority: 'medium',
    title: `New deal ${d.code}: ${toCents(d.value)} ${d.currency}`,
    message: `${who(ctx)} created deal ${d.code}${d.name ? ` "${d.name}"` : ''} for ${d.clientName} worth ${toCents(d.value)} ${d.currency}.`,
    data: { deal_id: dataId(d.id), deal_code: d.code, deal_name: d.name, deal_value: toCents(d.value), currency: d.currency, client_name: d.clientName, created_by: who(ctx) },
    actionUrl: '/org-admin/deals',
    related: { type: 'deal', id: d.id },
  });
}

type CreatedKind = 'user' | 'team' | 'project' | 'client' | 'role';

/** Per kind of new record: who is told, how urgently, and the web client's page for it. */
const CREATED: Record<CreatedKind, { recipients: (tx: Tx, orgId: string) => Promise<string[]>; priority: 'medium' | 'low'; actionUrl: string }> = {
  user: { recipients: orgAdminsOf, priority: 'medium', actionUrl: '/org-admin/manage-users' },
  team: { recipients: orgAdminsOf, priority: 'low', actionUrl: '/org-admin/manage-teams' },
  project: { recipients: orgAdminsOf, priority: 'low', actionUrl: '/org-admin' },
  client: { recipients: clientOverseersOf, priority: 'medium', actionUrl: '/org-admin/manage-clients' },
  // Medium, not low: a new role is a new set of permissions someone may soon be given.
  role: { recipients: orgAdminsOf, priority: 'medium', actionUrl: '/org-admin/permission' },
};

/** New user, team, project, client or role in the organisation → see CREATED for who is told. */
export async function notifyCreatedInOrg(ctx: ServiceContext, kind: CreatedKind, subject: { id: string; name: string }): Promise<void> {
  if (!ctx.orgId) return;
  const spec = CREATED[kind];
  await notify(ctx, {
    recipients: await spec.recipients(ctx.tx, ctx.orgId),
    type: `${kind}_created`,
    priority: spec.priority,
    title: `New ${kind}: ${subject.name}`,
    message: `${who(ctx)} added the ${kind} ${subject.name}.`,
    data: { [`${kind}_id`]: dataId(subject.id), name: subject.name, created_by: who(ctx) },
    actionUrl: spec.actionUrl,
    related: { type: kind, id: subject.id },
  });
}

/**
 * A verified payment refunded or written off as bad debt → the deal's owner (their commission on
 * it is reversed) and the org admins (money already counted as received is gone). Two calls so
 * that each lands on the page its reader works in; an owner who is also an admin is told once.
 */
export async function notifyPaymentWrittenOff(
  ctx: ServiceContext,
  payment: { id: string; deal_id: string; deal_code: string; transaction_id: string },
  kind: 'refunded' | 'bad_debt',
  reason: string,
): Promise<void> {
  if (!ctx.orgId) return;
  const owner = await dealOwner(ctx.tx, ctx.orgId, payment.deal_id);
  const admins = (await orgAdminsOf(ctx.tx, ctx.orgId)).filter((id) => id !== owner);
  const headline = kind === 'refunded' ? `Payment ${payment.transaction_id} refunded` : `Payment ${payment.transaction_id} marked bad debt`;
  const base = {
    type: `payment_${kind}`,
    priority: 'high' as const,
    title: headline,
    message: `${headline} on deal ${payment.deal_code} by ${who(ctx)}: ${reason}. The commission on it is reversed.`,
    data: { payment_id: dataId(payment.id), transaction_id: payment.transaction_id, deal_id: dataId(payment.deal_id), deal_code: payment.deal_code, status: kind, reason, marked_by: who(ctx) },
    related: { type: 'payment', id: payment.id },
  };
  if (owner) await notify(ctx, { ...base, recipients: [owner], actionUrl: `/salesperson/deal/${payment.deal_code}` });
  await notify(ctx, { ...base, recipients: admins, actionUrl: '/org-admin/deals' });
}

/** A new organisation → every Super Admin (platform notification, no organisation). Needs system scope. */
export async function notifyOrganizationCreated(ctx: ServiceContext, org: { id: string; name: string }): Promise<void> {
  await notify(ctx, {
    recipients: await superAdmins(ctx.tx),
    type: 'new_organization',
    priority: 'high',
    organizationId: null,
    title: `New organisation: ${org.name}`,
    message: `The organisation ${org.name} was created${ctx.actor ? ` by ${who(ctx)}` : ' by self-registration'}.`,
    data: { organization_id: dataId(org.id), organization_name: org.name },
    actionUrl: '/super-admin',
    related: { type: 'organization', id: org.id },
  });
}

/** Commission approved → the salesperson it belongs to (called by the commission module). */
export async function notifyCommissionApproved(
  ctx: ServiceContext,
  c: { userId: string; commissionId: string; period: string; amount: string; currency: string },
): Promise<void> {
  await notify(ctx, {
    recipients: [c.userId],
    type: 'commission_approved',
    priority: 'high',
    title: `Commission approved: ${toCents(c.amount)} ${c.currency}`,
    message: `Your commission for ${c.period} (${toCents(c.amount)} ${c.currency}) was approved${ctx.actor ? ` by ${who(ctx)}` : ''}.`,
    data: { commission_id: dataId(c.commissionId), period: c.period, amount: toCents(c.amount), currency: c.currency },
    actionUrl: '/salesperson/commission',
    related: { type: 'commission', id: c.commissionId },
  });
}
