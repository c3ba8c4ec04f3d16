// Recording a payment on a deal: its transaction code, receipt, invoice, activity and audit.
import { rows, sql } from '../../core/db/database.ts';
import { nextCodeSql } from '../../core/db/codes.ts';
import { pgConstraint, pgErrorCode } from '../../core/db/errors.ts';
import type { Actor } from '../../core/http/auth.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { duplicate, fieldError } from '../../core/http/errors.ts';
import type { CheckedFile, UploadBatch } from '../../core/files/uploads.ts';
import { money, toCents } from '../../core/money.ts';
import { activityInsertSql } from '../activity/recorder.ts';
import { auditInsertSql } from '../../core/audit/recorder.ts';
import { organizationToday, organizationTodaySql } from '../../core/organizations/clock.ts';
import { notifyPaymentRecorded } from '../../core/notifications/triggers.ts';
import type { NestedPaymentInput } from './schemas.ts';

type Ctx = ServiceContext & { actor: Actor };

export interface PayableDeal {
  id: string;
  deal_code: string;
  deal_value: string;
  currency: string;
  payment_method: string;
  due_date: string | null;
  client_id: string;
}

const METHODS = new Set(['wallet', 'bank', 'cheque', 'cash']);

/** Field-error prefix: nested payments report as payments[i].field, single ones as field. */
type FieldPrefix = (field: string) => string;
export const flatField: FieldPrefix = (f) => f;

async function assertChequeFree(ctx: Ctx, cheque: string, field: string) {
  const taken = await rows(ctx.tx, sql`SELECT 1 FROM payments WHERE organization_id = ${ctx.orgId} AND cheque_number = ${cheque}`);
  if (taken.length) throw duplicate(field, `Cheque number '${cheque}' has already been used in this organisation.`);
}

/**
 * Refuses payments that would take the money received beyond the deal's value. Returns the
 * organisation's today, read in the same round trip, for the payment-date check.
 */
export async function assertWithinDealValue(ctx: Ctx, deal: PayableDeal, adding: string[], field: string): Promise<string> {
  const [row] = await rows<{ received: string; today: string }>(
    ctx.tx,
    sql`SELECT (SELECT COALESCE(sum(received_amount), 0)::text FROM payments WHERE deal_id = ${deal.id} AND status NOT IN ('rejected', 'refunded')) AS received,
               (SELECT ${organizationTodaySql} FROM organizations o WHERE o.id = ${ctx.orgId}) AS today`,
  );
  const total = adding.reduce((acc, a) => acc.plus(a), money(row?.received ?? 0));
  if (total.greaterThan(deal.deal_value)) {
    const outstanding = money(deal.deal_value).minus(row?.received ?? 0);
    throw fieldError(field, `The payments exceed the deal value; at most ${toCents(outstanding.isNegative() ? 0 : outstanding)} ${deal.currency} is outstanding.`);
  }
  return row?.today ?? new Date().toISOString().slice(0, 10);
}

export async function recordPayment(
  ctx: Ctx,
  deal: PayableDeal,
  input: NestedPaymentInput,
  receipt: CheckedFile | undefined,
  uploads: UploadBatch,
  name: FieldPrefix = flatField,
  today?: string,
): Promise<string> {
  today ??= await organizationToday(ctx.tx, ctx.orgId!);
  if (input.payment_date > today) throw fieldError(name('payment_date'), 'The payment date cannot be in the future.');
  if (input.cheque_number) await assertChequeFree(ctx, input.cheque_number, name('cheque_number'));
  const method = input.payment_method ?? (input.payment_type && METHODS.has(input.payment_type) ? input.payment_type : deal.payment_method);
  const receiptKey = receipt ? await uploads.store('receipts', receipt) : null;
  const cents = toCents(input.received_amount);
  // One statement writes the payment, its invoice, the activity line and the audit row. The
  // codes are drawn in it, after the checks above, so a payment they refuse leaves no gap (a
  // failure from here on skips its codes).
  let recorded: { id: string; transaction_id: string } | undefined;
  try {
    [recorded] = await rows<{ id: string; transaction_id: string }>(
      ctx.tx,
      sql`WITH p AS (
            INSERT INTO payments (organization_id, deal_id, transaction_id, payment_date, received_amount, payment_method, payment_category,
              cheque_number, bank_reference, payment_remarks, receipt_key, receipt_name, created_by)
            VALUES (${ctx.orgId}, ${deal.id}, ${nextCodeSql(ctx.orgId!, 'payment')}, ${input.payment_date}, ${input.received_amount}, ${method},
              ${input.payment_category ?? 'partial'}, ${input.cheque_number ?? null}, ${input.bank_reference ?? ''}, ${input.payment_remarks ?? ''},
              ${receiptKey}, ${receipt?.filename ?? null}, ${ctx.actor.userId})
            RETURNING id, transaction_id),
          i AS (
            INSERT INTO invoices (organization_id, invoice_code, payment_id, deal_id, amount, tax_amount, total_amount, currency, due_date)
            SELECT ${ctx.orgId}::bigint, ${nextCodeSql(ctx.orgId!, 'invoice')}, p.id, ${deal.id}::bigint, ${input.received_amount}::numeric, 0,
              ${input.received_amount}::numeric, ${deal.currency}::text, ${deal.due_date}::date FROM p
            RETURNING invoice_code),
          activity AS (${activityInsertSql(
            ctx,
            {
              dealId: deal.id,
              action: 'payment_recorded',
              description: sql`format('Payment %s of %s %s received via %s.', p.transaction_id, ${cents}::text, ${deal.currency}::text, ${method}::text)`,
              // Ids inside PRS are decimal strings; jsonb_build_object would write the bigint as a number.
              metadata: { payment_id: sql`p.id::text`, transaction_id: sql`p.transaction_id` },
            },
            sql`p`,
          )}),
          audit AS (${auditInsertSql(
            ctx,
            {
              entity: 'payment',
              entityId: sql`p.id`,
              action: 'create',
              newValues: { transaction_id: sql`p.transaction_id`, deal: deal.deal_code, received_amount: cents, payment_date: input.payment_date, cheque_number: input.cheque_number ?? null, invoice: sql`i.invoice_code` },
            },
            sql`p, i`,
          )})
          SELECT p.id, p.transaction_id FROM p`,
    );
  } catch (err) {
    // Two requests with one cheque number at the same moment: the index decides.
    if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'payments_org_cheque_key') {
      throw duplicate(name('cheque_number'), `Cheque number '${input.cheque_number}' has already been used in this organisation.`);
    }
    throw err;
  }
  const { id: paymentId, transaction_id: transactionId } = recorded!;
  await notifyPaymentRecorded(ctx, { paymentId, transactionId, amount: input.received_amount, method, deal });
  return paymentId;
}
