// Payments: the seeds' /api/payments/ and /api/deals/{id}/payments/, the web client's
// /api/deals/payments/ (multipart, bare DRF field errors), write-offs.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SQL } from 'drizzle-orm';
import { rows, sql } from '../../core/db/database.ts';
import type { Actor } from '../../core/http/auth.ts';
import { reportingAliases } from '../../core/http/aliases.ts';
import { inTenant, type ServiceContext } from '../../core/http/context.ts';
import { notFound } from '../../core/http/errors.ts';
import { isId } from '../../core/http/fields.ts';
import { sendIdempotent } from '../../core/http/idempotency.ts';
import { linksFor } from '../../core/http/links.ts';
import { pageEnvelope, pageOf, pageRequest } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { checkedFile, RECEIPT_KINDS, type UploadBatch } from '../../core/files/uploads.ts';
import { PAYMENT_SELECT, dealRef, refreshDealMoneySql, type PaymentRow } from '../deals/repo.ts';
import { withUploads } from '../../core/files/uploads.ts';
import { dealVisibility, requireDeal } from '../deals/service.ts';
import { presentPayment } from '../deals/present.ts';
import { writeOffPayment } from '../verification/service.ts';
import { DealPaymentCreateBody, PaymentCreateBody, PaymentListQuery, PaymentOut, SeedDealPaymentCreateBody, SeedPaymentCreateBody } from './schemas.ts';
import { assertWithinDealValue, recordPayment } from './service.ts';

type Ctx = ServiceContext & { actor: Actor };
const VIEW = ['payments:view', 'payments:verify'];

/** `first`: a statement run with the read, in the same round trip (it sees the rows as they were before it). */
export async function findPayment(ctx: Ctx, paymentId: string, first?: SQL): Promise<PaymentRow> {
  const [payment] = isId(paymentId)
    ? await rows<PaymentRow>(
        ctx.tx,
        sql`${first ? sql`WITH first AS (${first}) ` : sql``}${PAYMENT_SELECT} WHERE p.organization_id = ${ctx.orgId} AND p.id = ${paymentId} AND d.deleted_at IS NULL AND ${dealVisibility(ctx.actor)}`,
      )
    : [];
  if (!payment) throw notFound('Payment not found.');
  return payment;
}

async function createPayment(ctx: Ctx, dealRefValue: string, body: z.infer<typeof DealPaymentCreateBody>, uploads: UploadBatch) {
  const receipt = body.receipt_file ? checkedFile(body.receipt_file, RECEIPT_KINDS, 'receipt_file') : undefined;
  const deal = await requireDeal(ctx, dealRefValue, true);
  const today = await assertWithinDealValue(ctx, deal, [body.received_amount], 'received_amount');
  const paymentId = await recordPayment(ctx, deal, body, receipt, uploads, undefined, today);
  // The deal's money columns are not among the payment's, so both go in one round trip.
  return findPayment(ctx, paymentId, refreshDealMoneySql(deal.id));
}

async function listPayments(ctx: Ctx, q: z.infer<typeof PaymentListQuery>, page: { limit: number; offset: number }, dealFilter?: string) {
  const where: SQL[] = [sql`p.organization_id = ${ctx.orgId}`, sql`d.deleted_at IS NULL`, dealVisibility(ctx.actor)];
  const dealValue = dealFilter ?? q.deal_id ?? q.deal;
  if (dealValue) where.push(dealRef(dealValue) ?? sql`false`);
  if (q.status) where.push(sql`p.status = ${q.status}`);
  const cond = sql.join(where, sql` AND `);
  const [c] = await rows<{ n: number }>(ctx.tx, sql`SELECT count(*)::int AS n FROM payments p JOIN deals d ON d.id = p.deal_id WHERE ${cond}`);
  const list = await rows<PaymentRow>(ctx.tx, sql`${PAYMENT_SELECT} WHERE ${cond} ORDER BY p.created_at DESC, p.id DESC LIMIT ${page.limit} OFFSET ${page.offset}`);
  return { count: c?.n ?? 0, rows: list };
}

export async function paymentRoutes(app: AppInstance) {
  const tags = ['payments'];

  const list = (dealFromPath: boolean) => async (request: FastifyRequest<{ Querystring: z.infer<typeof PaymentListQuery>; Params: { id?: string } }>) => {
    const page = pageRequest(request.query, app.config);
    const links = linksFor(request);
    const result = await inTenant(request, async (ctx) => {
      if (dealFromPath) await requireDeal(ctx, request.params.id ?? '');
      return listPayments(ctx, request.query, { limit: page.pageSize, offset: page.offset }, dealFromPath ? request.params.id : undefined);
    });
    return pageEnvelope(request, page, result.count, result.rows.map((p) => presentPayment(p, links)));
  };

  for (const url of ['/api/payments/', '/api/deals/payments/']) {
    const webClient = url === '/api/deals/payments/';
    app.get(url, { config: { permission: VIEW }, schema: { tags, querystring: PaymentListQuery, response: { 200: pageOf(PaymentOut) } } }, list(false));
    app.post(
      url,
      { config: { permission: 'payments:create', plainFieldErrors: webClient }, schema: { tags, body: webClient ? PaymentCreateBody : SeedPaymentCreateBody, response: { 201: PaymentOut } } },
      async (request, reply) =>
        withUploads(request, (uploads) =>
          sendIdempotent(request, reply, 201, async (ctx) =>
            presentPayment(await reportingAliases(request.body, () => createPayment(ctx, request.body.deal_id, request.body, uploads)), linksFor(request)),
          ),
        ),
    );
  }

  for (const base of ['/api/deals/:id/payments/', '/api/deals/deals/:id/payments/']) {
    const params = z.object({ id: z.string().max(64) });
    app.get(base, { config: { permission: VIEW }, schema: { tags, params, querystring: PaymentListQuery, response: { 200: pageOf(PaymentOut) } } }, list(true));
    app.post(base, { config: { permission: 'payments:create' }, schema: { tags, params, body: SeedDealPaymentCreateBody, response: { 201: PaymentOut } } }, async (request, reply) =>
      withUploads(request, (uploads) =>
        sendIdempotent(request, reply, 201, async (ctx) =>
          presentPayment(await reportingAliases(request.body, () => createPayment(ctx, request.params.id, request.body, uploads)), linksFor(request)),
        ),
      ),
    );
  }

  const idParams = z.object({ id: z.string().max(64) });
  app.get('/api/payments/:id/', { config: { permission: VIEW }, schema: { tags, params: idParams, response: { 200: PaymentOut } } }, async (request) =>
    presentPayment(await inTenant(request, (ctx) => findPayment(ctx, request.params.id)), linksFor(request)),
  );

  const writeOffBody = z.object({ reason: z.string().trim().min(1, 'This field may not be blank.').max(2000) });
  for (const [path, kind] of [['refund', 'refunded'], ['bad-debt', 'bad_debt']] as const) {
    app.post(
      `/api/payments/:id/${path}/`,
      { config: { permission: 'payments:refund' }, schema: { tags, params: idParams, body: writeOffBody, response: { 200: PaymentOut } } },
      async (request, reply) =>
        sendIdempotent(request, reply, 200, async (ctx) => {
          await writeOffPayment(ctx, request.params.id, kind, request.body.reason);
          return presentPayment(await findPayment(ctx, request.params.id), linksFor(request));
        }),
    );
  }
}
