// The verifier dashboard and its panels, in the shapes the web client's raw fetches read (bare
// objects and plain arrays). Figures count only the caller's organisation; amounts are in the
// organisation's currency with other currencies listed beside them.
import { z } from 'zod';
import { rows, sql } from '../../core/db/database.ts';
import { inTenant } from '../../core/http/context.ts';
import { pageEnvelope, pageOf, pageQueryFields, pageRequest } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { money, toCents } from '../../core/money.ts';
import { addDays, periodOf } from './periods.ts';
import * as repo from './repo.ts';
import { headline, orgFacts } from './service.ts';
import { wireId } from '../../core/http/fields.ts';

const byCurrency = z.array(z.object({ currency: z.string(), amount: z.string(), count: z.number() }));
const FAILURE_REASONS = ['insufficient_funds', 'invalid_card', 'bank_decline', 'technical_error', 'cheque_bounce', 'payment_received_not_reflected'] as const;
const ACTION_LABELS: Record<string, string> = { approved: 'Verified', rejected: 'Rejected', requires_info: 'Information requested', refunded: 'Refunded', bad_debt: 'Bad debt' };

/**
 * `n` as a share of `total` in whole percent, rounded half-up (the web client reads JSON integers;
 * equal counts show equal shares, so the shares may add up to 99–101). Integer arithmetic only.
 */
export const wholePercent = (n: number, total: number): number => (total ? Math.floor((n * 200 + total) / (2 * total)) : 0);

export async function verifierDashboardRoutes(app: AppInstance) {
  const tags = ['verifier dashboard'];
  const view = 'verification:view_dashboard';

  for (const url of ['/api/verifier/dashboard/', '/api/verifier/overview/']) {
    app.get(
      url,
      {
        config: { permission: view },
        schema: {
          tags,
          querystring: z.object({ period: z.enum(['daily', 'weekly', 'monthly']).optional() }),
          response: {
            200: z.object({
              total_payments: z.number(), total_successful_payments: z.number(), total_unsuccess_payments: z.number(), total_verification_pending_payments: z.number(),
              total_revenue: z.string(), total_refunds: z.number(), total_refunded_amount: z.string(), avg_transactional_value: z.string(), currency: z.string(),
              revenue_by_currency: byCurrency,
              refunds_by_currency: byCurrency,
              chart_data: z.object({ verification_trend: z.array(z.object({ label: z.string(), total_amount: z.string(), count: z.number() })) }),
            }),
          },
        },
      },
      // Every statement here is prepared: planned once per connection, not per request.
      async (request) =>
        inTenant(
          request,
          async (ctx) => {
            const facts = await orgFacts(ctx);
            const kind = request.query.period ?? 'daily';
            const start = kind === 'daily' ? addDays(facts.today, -6) : kind === 'weekly' ? periodOf('weekly', addDays(facts.today, -21)).start : periodOf('monthly', `${Number(facts.today.slice(0, 4)) - 1}-${facts.today.slice(5, 7)}-01`).start;
            const f = await repo.verifierFigures(ctx.tx, { orgId: facts.orgId, currency: facts.currency, start, bucket: kind === 'daily' ? 'day' : kind === 'weekly' ? 'week' : 'month' });
            const revenue = headline(f.revenue, facts.currency);
            const refunded = headline(f.refunded, facts.currency);
            const verifiedHere = revenue.count;
            return {
              total_payments: f.counts.total,
              total_successful_payments: f.counts.verified,
              total_unsuccess_payments: f.counts.rejected,
              total_verification_pending_payments: f.counts.pending,
              total_revenue: revenue.amount,
              // Count and amount in the same scope (the organisation's currency); other currencies below.
              total_refunds: refunded.count,
              total_refunded_amount: refunded.amount,
              avg_transactional_value: verifiedHere ? toCents(money(revenue.amount).div(verifiedHere)) : '0.00',
              currency: facts.currency,
              revenue_by_currency: revenue.by_currency,
              refunds_by_currency: refunded.by_currency,
              chart_data: { verification_trend: f.trend.map((t) => ({ ...t, total_amount: toCents(t.total_amount) })) },
            };
          },
          { genericPlans: true, readOnly: true },
        ),
    );
  }

  // Counts by status from the maintained totals; overdue ones are read from the pending
  // invoices themselves (bounded by the backlog, through a partial index).
  const invoiceCounts = (orgId: string) => {
    const n = (status: string) => repo.countOf('invoices', status);
    return sql`SELECT ${n('paid')} AS paid, ${n('pending')} AS pending, ${n('rejected')} AS rejected, ${n('refunded')} AS refunded,
               ${n('bad_debt')} AS bad_debt, ${n('cancelled')} AS cancelled, COALESCE(sum(invoices), 0)::int AS total,
               (SELECT count(*)::int FROM invoices WHERE organization_id = ${orgId} AND status = 'pending' AND due_date < CURRENT_DATE) AS overdue
        FROM invoice_totals WHERE organization_id = ${orgId}`;
  };
  type InvoiceCounts = { paid: number; pending: number; rejected: number; refunded: number; bad_debt: number; cancelled: number; overdue: number; total: number };

  app.get(
    '/api/verifier/dashboard/invoice-status/',
    { config: { permission: view }, schema: { tags, response: { 200: z.object({ paid_invoices: z.number(), pending_invoices: z.number(), processing_invoices: z.number(), overdue_invoices: z.number(), rejected_invoices: z.number(), refunded_invoices: z.number(), bad_debt_invoices: z.number(), cancelled_invoices: z.number() }) } } },
    async (request) =>
      inTenant(request, async (ctx) => {
        const [c] = await rows<InvoiceCounts>(ctx.tx, invoiceCounts(ctx.orgId!));
        return { paid_invoices: c!.paid, pending_invoices: c!.pending, processing_invoices: c!.pending, overdue_invoices: c!.overdue, rejected_invoices: c!.rejected, refunded_invoices: c!.refunded, bad_debt_invoices: c!.bad_debt, cancelled_invoices: c!.cancelled };
      }),
  );

  const distribution = z.object({ processing_invoices: z.number(), paid_invoices: z.number(), rejected_invoices: z.number(), pending_invoices: z.number(), initiated_invoices: z.number(), refunded_invoices: z.number(), bad_debt_invoices: z.number() });
  for (const url of ['/api/verifier/dashboard/payment-status-distribution/', '/api/verifier/dashboard/payment-distribution/']) {
    app.get(url, { config: { permission: view }, schema: { tags, response: { 200: distribution } } }, async (request) =>
      inTenant(request, async (ctx) => {
        const [c] = await rows<InvoiceCounts>(ctx.tx, invoiceCounts(ctx.orgId!));
        const share = (n: number) => wholePercent(n, c!.total);
        return { processing_invoices: 0, paid_invoices: share(c!.paid), rejected_invoices: share(c!.rejected), pending_invoices: share(c!.pending), initiated_invoices: 0, refunded_invoices: share(c!.refunded), bad_debt_invoices: share(c!.bad_debt) };
      }),
    );
  }

  app.get(
    '/api/verifier/dashboard/payment-methods/',
    { config: { permission: view }, schema: { tags, response: { 200: z.object({ credit_card: z.number(), bank_transfer: z.number(), mobile_wallet: z.number(), cheque: z.number(), qr_payment: z.number(), in_hand_cash: z.number() }) } } },
    async (request) =>
      inTenant(request, async (ctx) => {
        const list = await rows<{ payment_method: string; n: number }>(ctx.tx, sql`SELECT payment_method, sum(payments)::int AS n FROM payment_totals WHERE organization_id = ${ctx.orgId} GROUP BY payment_method`);
        const n = (m: string) => list.find((r) => r.payment_method === m)?.n ?? 0;
        return { credit_card: 0, bank_transfer: n('bank'), mobile_wallet: n('wallet'), cheque: n('cheque'), qr_payment: 0, in_hand_cash: n('cash') };
      }),
  );

  app.get(
    '/api/verifier/dashboard/payment-failure-reasons/',
    { config: { permission: view }, schema: { tags, response: { 200: z.object(Object.fromEntries([...FAILURE_REASONS, 'other'].map((k) => [k, z.number()]))) } } },
    async (request) =>
      inTenant(request, async (ctx) => {
        const list = await rows<{ reason: string | null; n: number }>(
          ctx.tx,
          sql`SELECT failure_reason AS reason, count(*)::int AS n FROM payment_approvals WHERE organization_id = ${ctx.orgId} AND decision = 'rejected' GROUP BY failure_reason`,
        );
        const out: Record<string, number> = Object.fromEntries([...FAILURE_REASONS, 'other'].map((k) => [k, 0]));
        for (const r of list) {
          const key = (FAILURE_REASONS as readonly string[]).includes(r.reason ?? '') ? r.reason! : 'other';
          out[key] = (out[key] ?? 0) + r.n;
        }
        return out;
      }),
  );

  app.get(
    '/api/verifier/dashboard/verification-queue/',
    { config: { permission: 'verification:view_queue' }, schema: { tags, response: { 200: z.array(z.object({ invoice_id: z.string(), payment_id: wireId, client_name: z.string(), payment_amount: z.string(), currency: z.string(), invoice_status: z.string(), created_at: z.string() })) } } },
    async (request) =>
      inTenant(request, async (ctx) => {
        const list = await rows<{ invoice_id: string; payment_id: string; client_name: string; payment_amount: string; currency: string; invoice_status: string; created_at: string }>(
          ctx.tx,
          sql`SELECT i.invoice_code AS invoice_id, i.payment_id, c.client_name, i.amount::text AS payment_amount, i.currency, i.status AS invoice_status, i.created_at
              FROM invoices i JOIN deals d ON d.id = i.deal_id JOIN clients c ON c.id = d.client_id
              WHERE i.organization_id = ${ctx.orgId} AND i.status = 'pending' AND d.deleted_at IS NULL ORDER BY i.created_at, i.id LIMIT 10`,
        );
        return list.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() }));
      }),
  );

  const AuditItem = z.object({ action: z.string(), timestamp: z.string(), user: z.string(), details: z.string(), decision: z.string() });
  for (const url of ['/api/verifier/dashboard/audit-logs/', '/api/verifier/dashboard/audits/']) {
    app.get(url, { config: { permission: 'audit:view' }, schema: { tags, querystring: z.object(pageQueryFields), response: { 200: pageOf(AuditItem) } } }, async (request) => {
      const page = pageRequest({ page_size: 10, ...request.query }, app.config);
      const result = await inTenant(request, async (ctx) => {
        const [n] = await rows<{ n: number }>(ctx.tx, sql`SELECT count(*)::int AS n FROM payment_approvals WHERE organization_id = ${ctx.orgId}`);
        const list = await rows<{ decision: string; created_at: string; user_name: string; invoice_code: string | null; transaction_id: string; remarks: string }>(
          ctx.tx,
          sql`SELECT a.decision, a.created_at, COALESCE(NULLIF(trim(u.first_name || ' ' || u.last_name), ''), u.email) AS user_name, i.invoice_code, p.transaction_id, a.remarks
              FROM payment_approvals a JOIN users u ON u.id = a.approved_by JOIN payments p ON p.id = a.payment_id LEFT JOIN invoices i ON i.payment_id = a.payment_id
              WHERE a.organization_id = ${ctx.orgId} ORDER BY a.created_at DESC, a.id DESC LIMIT ${page.pageSize} OFFSET ${page.offset}`,
        );
        return { count: n?.n ?? 0, rows: list };
      });
      return pageEnvelope(request, page, result.count, result.rows.map((r) => ({
        action: ACTION_LABELS[r.decision] ?? r.decision,
        decision: r.decision,
        timestamp: new Date(r.created_at).toISOString(),
        user: r.user_name,
        details: `Invoice ${r.invoice_code ?? r.transaction_id} ${(ACTION_LABELS[r.decision] ?? r.decision).toLowerCase()} (payment ${r.transaction_id})${r.remarks ? `: ${r.remarks}` : '.'}`,
      })));
    });
  }

  const RefundItem = z.object({ invoice_id: z.string(), payment_id: wireId, client_name: z.string(), payment_amount: z.string(), currency: z.string(), invoice_status: z.string(), failure_remarks: z.string().nullable(), approved_remarks: z.string().nullable(), approval_date: z.string() });
  for (const url of ['/api/verifier/dashboard/recent-refunds-or-bad-debts/', '/api/verifier/dashboard/refunds/']) {
    app.get(url, { config: { permission: ['payments:refund', view] }, schema: { tags, response: { 200: z.array(RefundItem) } } }, async (request) =>
      inTenant(request, async (ctx) => {
        const list = await rows<{ invoice_id: string; payment_id: string; client_name: string; payment_amount: string; currency: string; decision: string; remarks: string; created_at: string }>(
          ctx.tx,
          sql`SELECT i.invoice_code AS invoice_id, p.id AS payment_id, c.client_name, p.received_amount::text AS payment_amount, d.currency, a.decision, a.remarks, a.created_at
              FROM payment_approvals a JOIN payments p ON p.id = a.payment_id JOIN deals d ON d.id = p.deal_id JOIN clients c ON c.id = d.client_id
              JOIN invoices i ON i.payment_id = p.id
              WHERE a.organization_id = ${ctx.orgId} AND a.decision IN ('refunded', 'bad_debt') ORDER BY a.created_at DESC, a.id DESC LIMIT 10`,
        );
        return list.map((r) => ({
          invoice_id: r.invoice_id, payment_id: r.payment_id, client_name: r.client_name, payment_amount: r.payment_amount, currency: r.currency,
          invoice_status: r.decision, failure_remarks: r.decision === 'bad_debt' ? r.remarks : null, approved_remarks: r.decision === 'refunded' ? r.remarks : null,
          approval_date: new Date(r.created_at).toISOString(),
        }));
      }),
    );
  }
}
