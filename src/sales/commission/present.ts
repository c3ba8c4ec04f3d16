// Commission on the wire: statements (snake_case), the web client's org-admin rows (camelCase,
// user_id as a string), accruals, summary totals per payout currency, and the CSV export.
import { sum } from '../../core/money.ts';
import { fixed } from './formula.ts';
import type { AccrualRow, StatementView } from './types.ts';

export function presentStatement(v: StatementView) {
  const { exactBase: _exact, ...out } = v;
  return out;
}

/** Totals of several statements: the sales base in the organisation's currency, payouts per payout currency. */
export function summaryTotals(views: StatementView[]) {
  const byCurrency = new Map<string, StatementView[]>();
  for (const v of views) byCurrency.set(v.payout_currency, [...(byCurrency.get(v.payout_currency) ?? []), v]);
  const total = (list: StatementView[], key: 'commission' | 'bonus' | 'penalty' | 'total_commission' | 'final_amount') => sum(list.map((v) => v[key])).toFixed(2);
  return {
    sales_base: fixed(sum(views.map((v) => v.exactBase)), 2),
    accrual_count: views.reduce((n, v) => n + v.accrual_count, 0),
    needs_rate_count: views.reduce((n, v) => n + v.needs_rate_count, 0),
    payouts: [...byCurrency.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, list]) => ({
        currency,
        commission: total(list, 'commission'),
        bonus: total(list, 'bonus'),
        penalty: total(list, 'penalty'),
        total_commission: total(list, 'total_commission'),
        final_amount: total(list, 'final_amount'),
        statements: list.length,
      })),
  };
}

/** The web client's org-admin row: `rate` is the payout exchange rate, `percentage` the commission rate. */
export function orgAdminRow(v: StatementView) {
  return {
    id: v.id,
    user_id: String(v.user.id),
    fullName: v.user.full_name,
    email: v.user.email,
    totalSales: v.sales_base,
    salesCurrency: v.currency,
    currency: v.payout_currency,
    rate: v.exchange_rate,
    percentage: v.rate,
    bonus: v.bonus,
    penalty: v.penalty,
    convertedAmt: v.commission,
    total: v.total_commission,
    totalReceivable: v.final_amount,
    status: v.status,
    period: v.period,
    start_date: v.start_date,
    end_date: v.end_date,
  };
}

export type { AccrualRow } from './types.ts';

const iso = (v: string | null) => (v ? new Date(v).toISOString() : null);

export function presentAccrual(a: AccrualRow) {
  return {
    id: a.id,
    kind: a.kind,
    payment: a.payment_id,
    transaction_id: a.transaction_id,
    deal: a.deal_id,
    deal_id: a.deal_code,
    amount: fixed(a.amount, 2),
    currency: a.currency,
    org_currency: a.org_currency,
    fx_rate: a.fx_rate === null ? null : fixed(a.fx_rate, 8),
    base: a.base === null ? null : fixed(a.base, 2),
    rate: fixed(a.rate, 2),
    commission: a.commission === null ? null : fixed(a.commission, 2),
    status: a.status,
    period_date: a.period_date,
    reverses: a.reverses_id,
    reversed_by: a.reversed_by_id,
    reversal_reason: a.reversal_reason,
    reversed_at: iso(a.reversed_at),
    created_at: iso(a.created_at)!,
  };
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180): every field quoted when it holds a comma, quote, CR or LF, quotes doubled.
// Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
// apostrophe; amounts are written by us and never need it.

function csvField(value: string, text: boolean): string {
  const safe = text && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const HEADER = [
  'User', 'Email', 'Period', 'Start Date', 'End Date', 'Total Sales', 'Sales Currency', 'Commission Rate (%)', 'Payout Currency',
  'Exchange Rate', 'Calculated Commission', 'Bonus', 'Total Commission (with Bonus)', 'Penalty', 'Total Receivable (after Penalty)', 'Status',
];

export function commissionCsv(views: StatementView[]): string {
  const lines = [HEADER.map((h) => csvField(h, false)).join(',')];
  for (const v of views) {
    const text = [v.user.full_name, v.user.email].map((t) => csvField(t, true));
    const rest = [
      v.period, v.start_date, v.end_date, v.sales_base, v.currency, v.rate, v.payout_currency, v.exchange_rate,
      v.commission, v.bonus, v.total_commission, v.penalty, v.final_amount, v.status,
    ].map((f) => csvField(f, false));
    lines.push([...text, ...rest].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

