// Deals on both API surfaces: the seeds' /api/deals/… and the web client's /api/deals/deals/….
import { z } from 'zod';
import { inTenant, type ServiceContext } from '../../core/http/context.ts';
import { sendIdempotent } from '../../core/http/idempotency.ts';
import { linksFor, type Links } from '../../core/http/links.ts';
import { pageEnvelope, pageOf, pageRequest } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import type { Actor } from '../../core/http/auth.ts';
import { withUploads } from '../../core/files/uploads.ts';
import { groupByDeal, presentActivity, presentDeal } from './present.ts';
import { clientDealTotals } from './repo.ts';
import { ActivityList, DealCreateBody, DealListQuery, DealOut, DealUpdateBody, ExpandOut, LogActivityBody, WebDealOut, WebExpandOut } from './schemas.ts';
import * as deals from './service.ts';
import { noContent } from '../../core/http/responses.ts';

type Ctx = ServiceContext & { actor: Actor };
const refParams = z.object({ id: z.string().max(64) });
const READ_ONLY = { readOnly: true };

/** `If-Match` (the deal's version) for an edit; loose, so that every other header stays on the request. */
const IfMatchHeaders = z.looseObject({ 'if-match': z.string().optional().describe('The version read (`3`, `"3"` or `W/"3"`): 412 when the deal changed since.') });

/** A deal as every deal route answers it: with payments and recent activity. */
export async function dealView(ctx: Ctx, ref: string, links: Links) {
  const deal = await deals.requireDeal(ctx, ref);
  const { payments, activity } = await deals.childrenOf(ctx, [deal.id]);
  return presentDeal(deal, payments, activity, links);
}

export async function dealRoutes(app: AppInstance) {
  const tags = ['deals'];
  const view = ['deals:view_own', 'deals:view_team', 'deals:view_all'];

  for (const base of ['/api/deals/', '/api/deals/deals/']) {
    const webClient = base === '/api/deals/deals/';
    // The same deal on both surfaces; the web client's has JSON numbers where it does arithmetic.
    const Deal = webClient ? WebDealOut : DealOut;
    const Expand = webClient ? WebExpandOut : ExpandOut;

    app.get(base, { config: { permission: view }, schema: { tags, querystring: DealListQuery, response: { 200: pageOf(Deal) } } }, async (request) => {
      const page = pageRequest(request.query, app.config, { webClientList: webClient });
      const links = linksFor(request);
      const result = await inTenant(request, (ctx) => deals.listDeals(ctx, request.query, { limit: page.pageSize, offset: page.offset }), READ_ONLY);
      const payments = groupByDeal(result.payments);
      const activity = groupByDeal(result.activity);
      const results = result.rows.map((d) => presentDeal(d, payments.get(d.id) ?? [], activity.get(d.id) ?? [], links));
      return pageEnvelope(request, page, result.count, results);
    });

    app.post(base, { config: { permission: 'deals:create' }, schema: { tags, body: DealCreateBody, response: { 201: Deal } } }, async (request, reply) =>
      withUploads(request, (uploads) =>
        sendIdempotent(request, reply, 201, async (ctx) => dealView(ctx, await deals.createDeal(ctx, request.body, uploads), linksFor(request))),
      ),
    );

    app.get(`${base}:id/`, { config: { permission: view }, schema: { tags, params: refParams, response: { 200: Deal } } }, async (request) =>
      inTenant(request, (ctx) => dealView(ctx, request.params.id, linksFor(request)), READ_ONLY),
    );

    for (const method of ['PUT', 'PATCH'] as const) {
      app.route({
        method,
        url: `${base}:id/`,
        config: { permission: 'deals:change' },
        schema: { tags, params: refParams, headers: IfMatchHeaders, body: DealUpdateBody, response: { 200: Deal } },
        handler: async (request) =>
          inTenant(request, async (ctx) => {
            const id = await deals.updateDeal(ctx, request.params.id, request.body, request.headers['if-match']);
            return dealView(ctx, id, linksFor(request));
          }),
      });
    }

    app.delete(`${base}:id/`, { config: { permission: 'deals:delete' }, schema: { tags, params: refParams, response: noContent } }, async (request, reply) => {
      await inTenant(request, (ctx) => deals.deleteDeal(ctx, request.params.id));
      return reply.code(204).send(null);
    });

    app.get(`${base}:id/expand/`, { config: { permission: view }, schema: { tags, params: refParams, response: { 200: Expand } } }, async (request) =>
      inTenant(request, (ctx) => expandDeal(ctx, request.params.id, linksFor(request)), READ_ONLY),
    );

    app.get(`${base}:id/log-activity/`, { config: { permission: view }, schema: { tags, params: refParams, response: { 200: ActivityList } } }, async (request) =>
      (await inTenant(request, (ctx) => deals.activityOf(ctx, request.params.id, 200), READ_ONLY)).map(presentActivity),
    );
    app.post(
      `${base}:id/log-activity/`,
      { config: { permission: 'deals:log_activity' }, schema: { tags, params: refParams, body: LogActivityBody, response: { 201: ActivityList } } },
      async (request, reply) => {
        const activity = await inTenant(request, async (ctx) => {
          await deals.addNote(ctx, request.params.id, request.body.description, request.body.action);
          return deals.activityOf(ctx, request.params.id, 200);
        });
        return reply.code(201).send(activity.map(presentActivity));
      },
    );

    app.post(`${base}:id/approve/`, { config: { permission: 'deals:verify' }, schema: { tags, params: refParams, response: { 200: Deal } } }, async (request) =>
      inTenant(request, async (ctx) => dealView(ctx, await deals.approveDeal(ctx, request.params.id), linksFor(request))),
    );
  }
}

/** The expanded deal of the web client's payment history panel. */
async function expandDeal(ctx: Ctx, ref: string, links: Links) {
  const view = await dealView(ctx, ref, links);
  const client = await clientDealTotals(ctx.tx, view.organization, view.client_id, view.currency);
  const history = view.payments.map((p, i) => ({
    id: p.id,
    payment_serial: i + 1,
    transaction_id: p.transaction_id,
    deal_id: view.deal_id,
    client_name: view.client_name,
    payment_date: p.payment_date,
    created_at: p.created_at,
    payment_value: p.received_amount,
    received_amount: p.received_amount,
    verified_amount: p.verified_amount,
    deal: { currency: view.currency },
    payment_version: p.version,
    version: p.version,
    payment_type: p.payment_method,
    cheque_number: p.cheque_number,
    verification_status: p.status === 'verified' ? 'verified' : p.status === 'rejected' ? 'rejected' : 'pending',
    status: p.status,
    receipt_link: p.receipt_file,
    verified_by: p.verified_by,
    verifier_remarks: p.verification_remarks,
    verifier_remark_status: p.status === 'verified' ? 'yes' : 'no',
    deal_remarks: view.deal_remarks,
    payment_remarks: p.payment_remarks,
    invoice_details: p.invoice,
  }));
  return {
    ...view,
    client_info: { id: view.client_id, name: view.client_name, email: view.client.email, total_deals: client.total_deals, total_value: client.total_value },
    payment_history: history,
    verifier_remark_status: view.verification_status === 'verified' ? 'yes' : 'no',
    activity_summary: { total_activities: view.activity_logs.length, recent_activities: view.activity_logs, last_activity: view.activity_logs[0] ?? null },
  };
}

