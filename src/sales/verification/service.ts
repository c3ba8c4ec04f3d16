// Verification of payments: one state machine for payment, invoice, deal and client.
//   pending --approved--> verified --refund--> refunded
//           --rejected--> rejected         --bad debt--> bad_debt
//           --requires_info--> pending (info requested)
// Only "approved" verifies. Nobody decides a payment they recorded. The payment row is locked
// while deciding, so two concurrent decisions produce one decision and one 409.
import { rows, sql } from '../../core/db/database.ts';
import type { Actor } from '../../core/http/auth.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { conflict, fieldError, forbidden, notFound } from '../../core/http/errors.ts';
import { isId } from '../../core/http/fields.ts';
import type { CheckedFile, UploadBatch } from '../../core/files/uploads.ts';
import { money, toCents } from '../../core/money.ts';
import { logActivity } from '../activity/recorder.ts';
import { recordAudit } from '../../core/audit/recorder.ts';
import { refreshClientStatus, refreshDealMoney } from '../deals/repo.ts';
import { accrueCommission, reverseCommission } from '../commission/accruals.ts';
import { streakDealChanged } from '../streaks/service.ts';
import { notifyPaymentDecided, notifyPaymentWrittenOff } from '../../core/notifications/triggers.ts';

type Ctx = ServiceContext & { actor: Actor };

export type Decision = 'approved' | 'rejected' | 'requires_info';
export type Writeoff = 'refunded' | 'bad_debt';

/** Invoice status is derived from the payment's status, never set on its own. */
export const INVOICE_STATUS_FOR: Record<string, string> = {
  pending: 'pending',
  verified: 'paid',
  rejected: 'rejected',
  refunded: 'refunded',
  bad_debt: 'bad_debt',
};

interface LockedPayment {
  id: string;
  deal_id: string;
  deal_code: string;
  client_id: string;
  transaction_id: string;
  received_amount: string;
  currency: string;
  status: string;
  created_by: string;
}

async function lockPayment(ctx: Ctx, paymentId: string): Promise<LockedPayment> {
  const [payment] = isId(paymentId)
    ? await rows<LockedPayment>(
        ctx.tx,
        sql`SELECT p.id, p.deal_id, d.deal_code, d.client_id, p.transaction_id, p.received_amount::text AS received_amount, d.currency,
                   p.status, p.created_by
            FROM payments p JOIN deals d ON d.id = p.deal_id
            WHERE p.organization_id = ${ctx.orgId} AND p.id = ${paymentId} AND d.deleted_at IS NULL
            FOR UPDATE OF p`,
      )
    : [];
  if (!payment) throw notFound('Payment not found.');
  return payment;
}

async function settle(ctx: Ctx, payment: LockedPayment, status: string) {
  await ctx.tx.execute(sql`UPDATE invoices SET status = ${INVOICE_STATUS_FOR[status] ?? 'pending'}, version = version + 1 WHERE payment_id = ${payment.id}`);
  await refreshDealMoney(ctx.tx, payment.deal_id);
  await refreshClientStatus(ctx.tx, payment.client_id);
  await streakDealChanged(ctx, payment.deal_id);
}

export interface DecisionInput {
  decision: Decision;
  verifiedAmount?: string | undefined;
  remarks?: string | undefined;
  failureReason?: string | undefined;
}

export async function decidePayment(ctx: Ctx, paymentId: string, input: DecisionInput, invoiceFile: CheckedFile | undefined, uploads: UploadBatch) {
  const payment = await lockPayment(ctx, paymentId);
  if (payment.created_by === ctx.actor.userId) throw forbidden('You cannot verify a payment you recorded.', 'self_verification');
  if (payment.status !== 'pending') throw conflict(`The payment has already been decided (${payment.status}).`, 'already_decided');
  const remarks = input.remarks?.trim() ?? '';
  if ((input.decision === 'rejected' || input.decision === 'requires_info') && !remarks) {
    throw fieldError('remarks', 'Remarks are required when rejecting or asking for information.');
  }
  let verifiedAmount: string | null = null;
  if (input.decision === 'approved') {
    verifiedAmount = toCents(input.verifiedAmount && money(input.verifiedAmount).greaterThan(0) ? input.verifiedAmount : payment.received_amount);
    if (money(verifiedAmount).greaterThan(payment.received_amount)) {
      throw fieldError('verified_amount', `The verified amount cannot exceed the received amount (${payment.received_amount}).`);
    }
  }
  const fileKey = invoiceFile ? await uploads.store('invoices', invoiceFile) : null;
  const [approval] = await rows<{ id: string }>(
    ctx.tx,
    sql`INSERT INTO payment_approvals (organization_id, payment_id, deal_id, approved_by, decision, verified_amount, remarks, failure_reason, invoice_file_key)
        VALUES (${ctx.orgId}, ${payment.id}, ${payment.deal_id}, ${ctx.actor.userId}, ${input.decision}, ${verifiedAmount}, ${remarks},
          ${input.failureReason ?? null}, ${fileKey}) RETURNING id`,
  );
  const newStatus = input.decision === 'approved' ? 'verified' : input.decision === 'rejected' ? 'rejected' : 'pending';
  if (input.decision === 'requires_info') {
    await ctx.tx.execute(sql`UPDATE payments SET info_requested = true, verification_remarks = ${remarks}, version = version + 1 WHERE id = ${payment.id}`);
  } else {
    await ctx.tx.execute(sql`UPDATE payments SET status = ${newStatus}, verified_amount = ${verifiedAmount}, verified_by = ${ctx.actor.userId},
      verified_at = now(), verification_remarks = ${remarks}, info_requested = false, version = version + 1 WHERE id = ${payment.id}`);
    if (fileKey) await ctx.tx.execute(sql`UPDATE invoices SET invoice_file_key = ${fileKey} WHERE payment_id = ${payment.id}`);
  }
  await settle(ctx, payment, newStatus);
  await accrueCommission(ctx, payment.id);
  const verb = { approved: 'verified', rejected: 'rejected', requires_info: 'returned for more information' }[input.decision];
  await logActivity(ctx, {
    dealId: payment.deal_id,
    action: `payment_${input.decision}`,
    description: `Payment ${payment.transaction_id} ${verb}${verifiedAmount ? ` (${verifiedAmount} ${payment.currency})` : ''}${remarks ? `: ${remarks}` : '.'}`,
    metadata: { payment_id: payment.id, approval_id: approval!.id },
  });
  await recordAudit(ctx, {
    entity: 'payment',
    entityId: payment.id,
    action: input.decision === 'approved' ? 'verify' : input.decision === 'rejected' ? 'reject' : 'request_info',
    oldValues: { status: payment.status },
    newValues: { status: newStatus, verified_amount: verifiedAmount, remarks, approval_id: approval!.id },
  });
  await notifyPaymentDecided(ctx, payment, input.decision, verifiedAmount, remarks);
  return { approvalId: approval!.id, status: newStatus };
}

/** A verified payment later refunded or written off as bad debt. */
export async function writeOffPayment(ctx: Ctx, paymentId: string, kind: Writeoff, reason: string) {
  const payment = await lockPayment(ctx, paymentId);
  if (payment.status !== 'verified') throw conflict(`Only verified payments can be marked ${kind === 'refunded' ? 'refunded' : 'bad debt'}.`, 'invalid_transition');
  if (!reason.trim()) throw fieldError('reason', 'A reason is required.');
  const [approval] = await rows<{ id: string }>(
    ctx.tx,
    sql`INSERT INTO payment_approvals (organization_id, payment_id, deal_id, approved_by, decision, remarks)
        VALUES (${ctx.orgId}, ${payment.id}, ${payment.deal_id}, ${ctx.actor.userId}, ${kind}, ${reason.trim()}) RETURNING id`,
  );
  await ctx.tx.execute(sql`UPDATE payments SET status = ${kind}, version = version + 1 WHERE id = ${payment.id}`);
  await settle(ctx, payment, kind);
  await reverseCommission(ctx, payment.id, kind, reason);
  await logActivity(ctx, { dealId: payment.deal_id, action: `payment_${kind}`, description: `Payment ${payment.transaction_id} marked ${kind.replace('_', ' ')}: ${reason.trim()}` });
  await recordAudit(ctx, { entity: 'payment', entityId: payment.id, action: kind, oldValues: { status: 'verified' }, newValues: { status: kind, reason: reason.trim(), approval_id: approval!.id } });
  await notifyPaymentWrittenOff(ctx, payment, kind, reason.trim());
  return { approvalId: approval!.id, status: kind };
}
