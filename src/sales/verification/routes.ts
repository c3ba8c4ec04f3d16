// The verifier's work: the queue, decisions (JSON for the seeds' API, the multipart form of the
// web client) and the form's read model.
import { z } from 'zod';
import { inTenant } from '../../core/http/context.ts';
import { ValidationError } from '../../core/http/errors.ts';
// The hourly digest of payments waiting for verification registers its job handler on import.
import './reminders.ts';
import { decimalInput, wireId } from '../../core/http/fields.ts';
import { sendIdempotent } from '../../core/http/idempotency.ts';
import { linksFor } from '../../core/http/links.ts';
import { uploadedFile } from '../../core/http/multipart.ts';
import { pageEnvelope, pageOf, pageQueryFields, pageRequest } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { checkedFile, INVOICE_KINDS } from '../../core/files/uploads.ts';
import { withUploads } from '../../core/files/uploads.ts';
import { dealView } from '../deals/routes.ts';
import { DealOut } from '../deals/schemas.ts';
import { presentPayment } from '../deals/present.ts';
import { findPayment } from '../payments/routes.ts';
import { PaymentOut } from '../payments/schemas.ts';
import { listQueue } from './repo.ts';
import { decidePayment, type Decision } from './service.ts';

const QueueQuery = z.object({
  ...pageQueryFields,
  status: z.enum(['pending', 'requires_info', 'verified', 'rejected', 'all']).optional(),
  priority: z.enum(['high', 'medium', 'low']).optional(),
  search: z.string().max(200).optional(),
});

const QueueItem = z.object({
  id: wireId,
  payment_id: wireId,
  transaction_id: z.string(),
  deal: wireId,
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
  submitted_by: z.object({ id: wireId, full_name: z.string() }),
  receipt_file: z.string().nullable(),
  created_at: z.string(),
});

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
  approval_id: wireId,
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
    const result = await inTenant(request, async (ctx) =>
      ctx.orgId
        ? listQueue(ctx.tx, { orgId: ctx.orgId, status: q.status, priority: q.priority, search: q.search }, { limit: page.pageSize, offset: page.offset })
        : { count: 0, rows: [] },
      { readOnly: true },
    );
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
