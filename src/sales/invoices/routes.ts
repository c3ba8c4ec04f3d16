// Invoices: one per payment, status derived from the payment's decisions. Lists for both API
// surfaces (the verifier screen wants a plain array), detail, cancellation and a generated PDF.
import { containsPattern } from '../../core/db/like.ts';
import type { FastifyRequest } from 'fastify';
import type { SQL } from 'drizzle-orm';
import { z } from 'zod';
import { rows, sql } from '../../core/db/database.ts';
import type { Actor } from '../../core/http/auth.ts';
import { inTenant, type ServiceContext } from '../../core/http/context.ts';
import { conflict, notFound } from '../../core/http/errors.ts';
import { isBusinessDate, isId, wireId } from '../../core/http/fields.ts';
import { linksFor, type Links } from '../../core/http/links.ts';
import { pageEnvelope, pageOf, pageQueryFields, pageRequest } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { logActivity } from '../activity/recorder.ts';
import { recordAudit } from '../../core/audit/recorder.ts';
import { dealRef } from '../deals/repo.ts';
import { dealVisibility, requireDeal } from '../deals/service.ts';
import { renderInvoicePdf } from './pdf.ts';
import { INVOICE_SELECT, listInvoices, type InvoiceRow } from './repo.ts';

type Ctx = ServiceContext & { actor: Actor };
const VIEW = ['invoices:view', 'invoices:manage'];

const InvoiceOut = z.object({
  id: wireId,
  invoice_id: z.string(),
  invoice_code: z.string(),
  payment: wireId,
  payment_id: wireId,
  transaction_id: z.string(),
  deal: wireId,
  deal_id: z.string(),
  deal_name: z.string(),
  client_name: z.string(),
  amount: z.string(),
  invoice_amount: z.string(),
  tax_amount: z.string(),
  total_amount: z.string(),
  currency: z.string(),
  status: z.string(),
  invoice_status: z.string(),
  invoice_date: z.string(),
  due_date: z.string().nullable(),
  invoice_file: z.string().nullable(),
  receipt_file: z.string().nullable(),
  pdf_url: z.string(),
  remarks: z.string(),
  version: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The verifier screen knows pending/verified/rejected: a paid invoice reads "verified" there. */
const screenStatus = (status: string) => (status === 'paid' ? 'verified' : status);

function presentInvoice(i: InvoiceRow, links: Links) {
  return {
    id: i.id,
    invoice_id: i.invoice_code,
    invoice_code: i.invoice_code,
    payment: i.payment_id,
    payment_id: i.payment_id,
    transaction_id: i.transaction_id,
    deal: i.deal_id,
    deal_id: i.deal_code,
    deal_name: i.deal_name,
    client_name: i.client_name,
    amount: i.amount,
    invoice_amount: i.amount,
    tax_amount: i.tax_amount,
    total_amount: i.total_amount,
    currency: i.currency,
    status: i.status,
    invoice_status: i.status,
    invoice_date: i.invoice_date,
    due_date: i.due_date,
    invoice_file: links.privateFile(i.invoice_file_key),
    receipt_file: links.privateFile(i.receipt_key),
    pdf_url: links.absolute(`/api/invoices/${i.id}/pdf/`),
    remarks: i.remarks,
    version: i.version,
    created_at: new Date(i.created_at).toISOString(),
    updated_at: new Date(i.updated_at).toISOString(),
  };
}

const ListQuery = z.object({
  ...pageQueryFields,
  status: z.string().max(30).optional(),
  search: z.string().max(200).optional(),
  deal_id: z.string().max(64).optional(),
  date_from: z.string().max(10).optional(),
  date_to: z.string().max(10).optional(),
});

function filters(ctx: Ctx, q: z.infer<typeof ListQuery>): SQL[] {
  const where = [sql`i.organization_id = ${ctx.orgId}`, sql`d.deleted_at IS NULL`, dealVisibility(ctx.actor)];
  if (q.status) where.push(sql`i.status = ${q.status.toLowerCase() === 'verified' ? 'paid' : q.status.toLowerCase()}`);
  if (q.deal_id) where.push(dealRef(q.deal_id) ?? sql`false`);
  if (q.date_from && isBusinessDate(q.date_from)) where.push(sql`i.invoice_date >= ${q.date_from}`);
  if (q.date_to && isBusinessDate(q.date_to)) where.push(sql`i.invoice_date <= ${q.date_to}`);
  if (q.search) {
    const like = containsPattern(q.search);
    where.push(sql`(i.invoice_code ILIKE ${like} OR d.deal_code ILIKE ${like} OR c.client_name ILIKE ${like})`);
  }
  return where;
}

async function findInvoice(ctx: Ctx, ref: string): Promise<InvoiceRow> {
  const match = isId(ref) ? sql`i.id = ${ref}` : /^INV-\d+$/i.test(ref) ? sql`i.invoice_code = ${ref.toUpperCase()}` : undefined;
  const [invoice] = match
    ? await rows<InvoiceRow>(ctx.tx, sql`${INVOICE_SELECT} WHERE i.organization_id = ${ctx.orgId} AND d.deleted_at IS NULL AND ${dealVisibility(ctx.actor)} AND ${match}`)
    : [];
  if (!invoice) throw notFound('Invoice not found.');
  return invoice;
}

/** Only an invoice still waiting for a decision can be withdrawn; decided ones are history. */
async function cancelInvoice(ctx: Ctx, ref: string) {
  const invoice = await findInvoice(ctx, ref);
  if (invoice.status !== 'pending') throw conflict(`A ${invoice.status} invoice cannot be cancelled.`, 'invalid_transition');
  await ctx.tx.execute(sql`UPDATE invoices SET status = 'cancelled', version = version + 1 WHERE id = ${invoice.id}`);
  await logActivity(ctx, { dealId: invoice.deal_id, action: 'invoice_cancelled', description: `Invoice ${invoice.invoice_code} cancelled.` });
  await recordAudit(ctx, { entity: 'invoice', entityId: invoice.id, action: 'cancel', oldValues: { status: invoice.status }, newValues: { status: 'cancelled' } });
  return findInvoice(ctx, invoice.id);
}

export async function invoiceRoutes(app: AppInstance) {
  const tags = ['invoices'];
  const list = async (request: FastifyRequest, query: z.infer<typeof ListQuery>, whole = false) => {
    const page = pageRequest(query, app.config, { webClientList: whole });
    const result = await inTenant(request, (ctx) => listInvoices(ctx.tx, filters(ctx, query), { limit: page.pageSize, offset: page.offset }));
    return { page, result, links: linksFor(request) };
  };

  for (const url of ['/api/invoices/', '/api/deals/invoices/']) {
    app.get(url, { config: { permission: VIEW }, schema: { tags, querystring: ListQuery, response: { 200: pageOf(InvoiceOut) } } }, async (request) => {
      const { page, result, links } = await list(request, request.query);
      return pageEnvelope(request, page, result.count, result.rows.map((i) => presentInvoice(i, links)));
    });
  }

  // The verifier screen maps over the body: a plain array, "verified" for paid.
  app.get('/api/verifier/invoices/', { config: { permission: VIEW }, schema: { tags, querystring: ListQuery, response: { 200: z.array(InvoiceOut) } } }, async (request) => {
    const { result, links } = await list(request, request.query, true);
    return result.rows.map((i) => ({ ...presentInvoice(i, links), status: screenStatus(i.status) }));
  });

  for (const base of ['/api/deals/:id/invoices/', '/api/deals/deals/:id/invoices/']) {
    app.get(base, { config: { permission: VIEW }, schema: { tags, params: z.object({ id: z.string().max(64) }), response: { 200: z.array(InvoiceOut) } } }, async (request) => {
      const links = linksFor(request);
      const result = await inTenant(request, async (ctx) => {
        const deal = await requireDeal(ctx, request.params.id);
        return listInvoices(ctx.tx, [sql`i.organization_id = ${ctx.orgId}`, sql`i.deal_id = ${deal.id}`], { limit: 1000, offset: 0 });
      });
      return result.rows.map((i) => presentInvoice(i, links));
    });
  }

  const params = z.object({ id: z.string().max(64) });
  for (const url of ['/api/invoices/:id/', '/api/verifier/invoice/:id/']) {
    app.get(url, { config: { permission: VIEW }, schema: { tags, params, response: { 200: InvoiceOut } } }, async (request) =>
      presentInvoice(await inTenant(request, (ctx) => findInvoice(ctx, request.params.id)), linksFor(request)),
    );
    // 200 with a body: the verifier screen calls response.json() on success.
    app.delete(url, { config: { permission: 'invoices:manage' }, schema: { tags, params, response: { 200: z.object({ message: z.string(), invoice: InvoiceOut }) } } }, async (request) => {
      const invoice = await inTenant(request, (ctx) => cancelInvoice(ctx, request.params.id));
      return { message: `Invoice ${invoice.invoice_code} cancelled.`, invoice: presentInvoice(invoice, linksFor(request)) };
    });
  }

  for (const url of ['/api/invoices/:id/pdf/', '/api/verifier/invoice/:id/pdf/']) {
    app.get(url, { config: { permission: VIEW }, schema: { tags, params } }, async (request, reply) => {
      const invoice = await inTenant(request, (ctx) => findInvoice(ctx, request.params.id));
      const pdf = await renderInvoicePdf(invoice);
      return reply.header('content-type', 'application/pdf').header('content-disposition', `inline; filename="${invoice.invoice_code}.pdf"`).send(pdf);
    });
  }
}
