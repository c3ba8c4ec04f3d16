// The JSON of deals and payments, with the aliases both API surfaces read
// (`deal_id` code and `pay_status`, `client` object and `client_name`, `payments_read`).
import type { Links } from '../../core/http/links.ts';
import { money, toCents } from '../../core/money.ts';
import type { ActivityRow, DealRow, PaymentRow } from './repo.ts';

const iso = (v: string | null) => (v ? new Date(v).toISOString() : null);

/**
 * Rows of a page's children grouped by deal in one pass, keeping their order. Filtering the
 * page's rows once per deal would be quadratic: the web client asks for pages of 1,000 deals.
 */
export function groupByDeal<T extends { deal_id: string | null }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    if (item.deal_id === null) continue;
    const group = groups.get(item.deal_id);
    if (group) group.push(item);
    else groups.set(item.deal_id, [item]);
  }
  return groups;
}

export function presentPayment(p: PaymentRow, links: Links) {
  const verifiedBy = p.verified_by ? { id: p.verified_by, full_name: p.verified_by_name || p.verified_by_email || '', email: p.verified_by_email ?? '' } : null;
  return {
    id: p.id,
    transaction_id: p.transaction_id,
    deal: p.deal_id,
    deal_id: p.deal_code,
    payment_date: p.payment_date,
    received_amount: p.received_amount,
    currency: p.currency,
    payment_method: p.payment_method,
    payment_type: p.payment_method,
    payment_category: p.payment_category,
    cheque_number: p.cheque_number,
    bank_reference: p.bank_reference,
    payment_remarks: p.payment_remarks,
    receipt_file: links.privateFile(p.receipt_key),
    status: p.status,
    info_requested: p.info_requested,
    verified_amount: p.verified_amount,
    verified_by: verifiedBy,
    verified_at: iso(p.verified_at),
    verification_remarks: p.verification_remarks,
    invoice: p.invoice_id ? { id: p.invoice_id, invoice_id: p.invoice_code, status: p.invoice_status } : null,
    version: p.version,
    created_at: iso(p.created_at)!,
    updated_at: iso(p.updated_at)!,
  };
}

export function presentActivity(a: ActivityRow) {
  const ts = iso(a.created_at)!;
  return {
    id: a.id,
    action: a.action,
    description: a.description,
    message: a.description,
    timestamp: ts,
    created_at: ts,
    user: a.user_id ? { id: a.user_id, first_name: a.user_first_name ?? '', full_name: a.user_name ?? '', username: a.user_email ?? '' } : null,
  };
}

export function presentDeal(d: DealRow, payments: PaymentRow[], activity: ActivityRow[], links: Links) {
  const value = money(d.deal_value);
  const verified = money(d.verified_total);
  const remaining = value.minus(verified);
  const progress = value.isZero() ? 0 : Math.min(100, verified.div(value).times(100).toDecimalPlaces(2).toNumber());
  const paymentsOut = payments.map((p) => presentPayment(p, links));
  return {
    id: d.id,
    deal_id: d.deal_code,
    deal_code: d.deal_code,
    organization: d.organization_id,
    client: { id: d.client_id, client_name: d.client_name, email: d.client_email },
    client_id: d.client_id,
    client_name: d.client_name,
    project: d.project_id,
    deal_name: d.deal_name,
    deal_value: d.deal_value,
    currency: d.currency,
    deal_date: d.deal_date,
    due_date: d.due_date,
    payment_status: d.payment_status,
    pay_status: d.payment_status,
    declared_payment_status: d.declared_payment_status,
    payment_method: d.payment_method,
    source_type: d.source_type,
    verification_status: d.verification_status,
    client_status: d.client_status,
    deal_remarks: d.deal_remarks,
    version: d.version,
    edit_status: d.version > 1 ? 'edited' : 'original',
    payment_count: d.payment_count,
    total_paid: toCents(verified),
    total_received: toCents(d.received_total),
    remaining_balance: toCents(remaining.isNegative() ? 0 : remaining),
    payment_progress: progress,
    approved_by: d.approved_by,
    approved_at: iso(d.approved_at),
    created_by: { id: d.created_by, full_name: d.created_by_name || d.created_by_email, email: d.created_by_email },
    updated_by: d.updated_by ? { id: d.updated_by, full_name: d.updated_by_name ?? '' } : null,
    created_at: iso(d.created_at)!,
    updated_at: iso(d.updated_at)!,
    payments: paymentsOut,
    payments_read: paymentsOut,
    activity_logs: activity.map(presentActivity),
  };
}

export type DealView = ReturnType<typeof presentDeal>;
