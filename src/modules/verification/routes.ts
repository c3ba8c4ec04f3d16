// The verifier's work: the queue, decisions (JSON for the seeds' API, the multipart form of the
// web client) and the form's read model.
import { containsPattern } from '../../db/like.ts';
import { z } from 'zod';
import { rows, sql } from '../../db/database.ts';
import { inTenant } from '../../http/context.ts';
import { ValidationError } from '../../http/errors.ts';
import { decimalInput } from '../../http/fields.ts';
import { sendIdempotent } from '../../http/idempotency.ts';
import { linksFor } from '../../http/links.ts';
import { uploadedFile } from '../../http/multipart.ts';
import { pageEnvelope, pageOf, pageQueryFields, pageRequest } from '../../http/pagination.ts';
import type { AppInstance } from '../../http/types.ts';
import { checkedFile, INVOICE_KINDS } from '../../files/uploads.ts';
import { dealView, withUploads } from '../deals/routes.ts';
import { DealOut } from '../deals/schemas.ts';
import { presentPayment } from '../deals/present.ts';
import { findPayment } from '../payments/routes.ts';
import { PaymentOut } from '../payments/schemas.ts';
import { decidePayment, type Decision } from './service.ts';

const QueueQuery = z.object({
  ...pageQueryFields,
  status: z.enum(['pending', 'requires_info', 'verified', 'rejected', 'all']).optional(),
  priority: z.enum(['high', 'medium', 'low']).optional(),
  search: z.string().max(200).optional(),
});

const QueueItem = z.object({
  id: z.string(),
  payment_id: z.string(),
  transaction_id: z.string(),
  deal: z.string(),
  deal_id: z.string(),
  deal_name: z.string(),
  client_name: z.string(),
  received_amount: z.string(),
  currency: z.string(),
  payment_date: z.string(),
  payment_method: z.string(),
  status: z.string(),
  info_requested: z.boolean(),
  priority: z.enum(['high', 'medium', 'low']),
  waiting_hours: z.number(),
  submitted_by: z.object({ id: z.string(), full_name: z.string() }),
  receipt_file: z.string().nullable(),
  created_at: z.string(),
});

interface QueueRow {
  id: string;
  transaction_id: string;
  deal: string;
  deal_id: string;
  deal_name: string;
  client_name: string;
  received_amount: string;
  currency: string;
  payment_date: string;
  payment_method: string;
  status: string;
  info_requested: boolean;
  priority: 'high' | 'medium' | 'low';
  waiting_hours: number;
  submitted_by: string;
  submitted_by_name: string;
  receipt_key: string | null;
  created_at: string;
}

// Priority: waiting over three days or past the deal's due date is high, over a day medium.
const PRIORITY = sql`CASE WHEN now() - p.created_at > interval '72 hours' OR (d.due_date IS NOT NULL AND d.due_date < CURRENT_DATE) THEN 'high'
  WHEN now() - p.created_at > interval '24 hours' THEN 'medium' ELSE 'low' END`;

const DecisionBody = z.object({
  status: z.string().max(30).optional(),
  decision: z.string().max(30).optional(),
  approval_status: z.string().max(30).optional(),
  verification_status: z.string().max(30).optional(),
  verifier_remarks: z.string().max(2000).optional(),
  verified_amount: decimalInput.optional(),
  remarks: z.string().max(2000).optional(),
  verification_remarks: z.string().max(2000).optional(),
  approval_remarks: z.string().max(2000).optional(),
  failure_reason: z.string().max(100).optional(),
  failure_remarks: z.string().max(2000).optional(),
  invoice_file: uploadedFile.optional(),
});
type DecisionBodyInput = z.infer<typeof DecisionBody>;

const DECISIONS: Record<string, Decision> = { approved: 'approved', approve: 'approved', verified: 'approved', rejected: 'rejected', reject: 'rejected', denied: 'rejected', requires_info: 'requires_info', under_review: 'requires_info' };

function decisionOf(body: DecisionBodyInput): Decision {
  const raw = (body.decision ?? body.approval_status ?? body.verification_status ?? body.status ?? '').trim().toLowerCase();
  const decision = DECISIONS[raw];
  if (!decision) throw new ValidationError({ approval_status: ['Choose approved, rejected or requires_info.'] });
  return decision;
}

const DecisionOut = z.object({
  success: z.boolean(),
  message: z.string(),
  status: z.string(),
  approval_id: z.string(),
  verified_by: z.string(),
  verified_at: z.string().nullable(),
  payment: PaymentOut,
});

export async function verificationRoutes(app: AppInstance) {
  const tags = ['verification'];

  app.get('/api/verifier/queue/', { config: { permission: 'verification:view_queue' }, schema: { tags, querystring: QueueQuery, response: { 200: pageOf(QueueItem) } } }, async (request) => {
    const q = request.query;
    const page = pageRequest(q, app.config);
    const links = linksFor(request);
    const result = await inTenant(request, async (ctx) => {
      const where = [sql`p.organization_id = ${ctx.orgId}`, sql`d.deleted_at IS NULL`];
      // Default: everything waiting for a decision (including payments returned for information).
      if (q.status === 'verified' || q.status === 'rejected') where.push(sql`p.status = ${q.status}`);
      else if (q.status !== 'all') where.push(sql`p.status = 'pending'`);
      if (q.status === 'requires_info') where.push(sql`p.info_requested`);
      if (q.status === 'pending') where.push(sql`NOT p.info_requested`);
      if (q.priority) where.push(sql`${PRIORITY} = ${q.priority}`);
      if (q.search) {
        const like = containsPattern(q.search);
        where.push(sql`(d.deal_code ILIKE ${like} OR p.transaction_id ILIKE ${like} OR c.client_name ILIKE ${like})`);
      }
      const cond = sql.join(where, sql` AND `);
      const from = sql`FROM payments p JOIN deals d ON d.id = p.deal_id JOIN clients c ON c.id = d.client_id JOIN users u ON u.id = p.created_by`;
      const [n] = await rows<{ n: number }>(ctx.tx, sql`SELECT count(*)::int AS n ${from} WHERE ${cond}`);
      const list = await rows<QueueRow>(
        ctx.tx,
        sql`SELECT p.id, p.transaction_id, d.id AS deal, d.deal_code AS deal_id, d.deal_name, c.client_name, p.received_amount::text AS received_amount,
                   d.currency, to_char(p.payment_date, 'YYYY-MM-DD') AS payment_date, p.payment_method, p.status, p.info_requested,
                   ${PRIORITY} AS priority, floor(extract(epoch FROM now() - p.created_at) / 3600)::int AS waiting_hours,
                   p.created_by AS submitted_by, trim(u.first_name || ' ' || u.last_name) AS submitted_by_name, p.receipt_key, p.created_at
            ${from} WHERE ${cond}
            ORDER BY CASE ${PRIORITY} WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, p.created_at, p.id
            LIMIT ${page.pageSize} OFFSET ${page.offset}`,
      );
      return { count: n?.n ?? 0, rows: list };
    });
    return pageEnvelope(
      request,
      page,
      result.count,
      result.rows.map((r) => ({
        ...r,
        payment_id: r.id,
        submitted_by: { id: r.submitted_by, full_name: r.submitted_by_name },
        receipt_file: links.privateFile(r.receipt_key),
        created_at: new Date(r.created_at).toISOString(),
      })),
    );
  });

  const paymentParams = z.object({ payment_id: z.string().max(64) });
  const decide = (request: { params: { payment_id: string }; body: DecisionBodyInput }) => async (ctx: Parameters<Parameters<typeof inTenant>[1]>[0], uploads: Parameters<typeof decidePayment>[4]) => {
    const body = request.body;
    const invoice = body.invoice_file ? checkedFile(body.invoice_file, INVOICE_KINDS, 'invoice_file') : undefined;
    const outcome = await decidePayment(
      ctx,
      request.params.payment_id,
      {
        decision: decisionOf(body),
        verifiedAmount: body.verified_amount,
        remarks: body.remarks ?? body.verification_remarks ?? body.verifier_remarks ?? body.approval_remarks ?? (body.failure_remarks ? body.failure_remarks : undefined),
        failureReason: body.failure_reason ?? body.failure_remarks,
      },
      invoice,
      uploads,
    );
    const payment = await findPayment(ctx, request.params.payment_id);
    return { outcome, payment };
  };

  for (const url of ['/api/verifier/verify/:payment_id/', '/api/verifier/verifier-form/:payment_id/']) {
    app.post(url, { config: { permission: 'payments:verify' }, schema: { tags, params: paymentParams, body: DecisionBody, response: { 200: DecisionOut } } }, async (request, reply) =>
      withUploads(request, (uploads) =>
        sendIdempotent(request, reply, 200, async (ctx) => {
          const { outcome, payment } = await decide(request)(ctx, uploads);
          return {
            success: true,
            message: `Payment ${payment.transaction_id} ${outcome.status === 'pending' ? 'returned for more information' : outcome.status}.`,
            status: outcome.status,
            approval_id: outcome.approvalId,
            verified_by: ctx.actor.email,
            verified_at: payment.verified_at ? new Date(payment.verified_at).toISOString() : null,
            payment: presentPayment(payment, linksFor(request)),
          };
        }),
      ),
    );
  }

  app.get(
    '/api/verifier/verifier-form/:payment_id/',
    { config: { permission: ['payments:verify', 'verification:view_queue'] }, schema: { tags, params: paymentParams, response: { 200: z.object({ deal: DealOut, payment: PaymentOut }) } } },
    async (request) =>
      inTenant(request, async (ctx) => {
        const links = linksFor(request);
        const payment = await findPayment(ctx, request.params.payment_id);
        return { deal: await dealView(ctx, payment.deal_id, links), payment: presentPayment(payment, links) };
      }),
  );
}
