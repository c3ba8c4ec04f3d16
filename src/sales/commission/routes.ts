// Commission routes of the seeds' API (summary, user commissions) and the management surface
// (runs, approval, payment, exchange rates, plans). The web client's routes are in web-routes.ts.
import { z } from 'zod';
import { inTenant } from '../../core/http/context.ts';
import { sendIdempotent } from '../../core/http/idempotency.ts';
import { pageEnvelope, pageOf, pageRequest } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { presentStatement } from './present.ts';
import {
  ExchangeRateCreated,
  ExchangeRateOut,
  IdParams,
  PeriodQuery,
  PlanBody,
  PlanOut,
  RateBody,
  RateListQuery,
  RunBody,
  RunOut,
  StatementOut,
  SummaryOut,
  UserCommissionOut,
  UserParams,
  UserQuery,
} from './schemas.ts';
import * as commission from './service.ts';
import { approveStatement, payStatement, runPeriod } from './statements.ts';
import { commissionWebRoutes } from './web-routes.ts';

export async function commissionRoutes(app: AppInstance) {
  const tags = ['commission'];
  const { VIEW, VIEW_ALL, MANAGE } = commission;

  // The seeds' analytics API names the same figures /api/analytics/commission/.
  for (const url of ['/api/commission/summary/', '/api/analytics/commission/']) {
    app.get(url, { config: { permission: VIEW }, schema: { tags, querystring: PeriodQuery, response: { 200: SummaryOut } } }, async (request) =>
      // Every statement of the summary is prepared: planned once per connection, not per request.
      inTenant(request, (ctx) => commission.summary(ctx, request.query), { genericPlans: true, readOnly: true }),
    );
  }

  app.get(
    '/api/commission/user/:user_id/',
    { config: { permission: VIEW }, schema: { tags, params: UserParams, querystring: UserQuery, response: { 200: UserCommissionOut } } },
    async (request) => inTenant(request, (ctx) => commission.userCommission(ctx, request.params.user_id, request.query)),
  );

  // A run stores every candidate's statement of one period; re-running never duplicates them.
  app.post('/api/commission/run/', { config: { permission: MANAGE }, schema: { tags, body: RunBody, response: { 200: RunOut } } }, async (request, reply) =>
    sendIdempotent(request, reply, 200, async (ctx) => {
      const period = commission.standardPeriod(request.body, await commission.todayOf(ctx), request.body.period);
      const { counts, converted, views } = await runPeriod(ctx, period);
      return { period: period.kind, start_date: period.start, end_date: period.end, ...counts, converted_accruals: converted, statements: views.map(presentStatement) };
    }),
  );

  for (const [action, transition] of [['approve', approveStatement], ['pay', payStatement]] as const) {
    app.post(
      `/api/commission/statements/:id/${action}/`,
      { config: { permission: MANAGE }, schema: { tags, params: IdParams, response: { 200: StatementOut } } },
      async (request, reply) => sendIdempotent(request, reply, 200, async (ctx) => presentStatement(await transition(ctx, request.params.id))),
    );
  }

  app.get(
    '/api/commission/exchange-rates/',
    { config: { permission: VIEW }, schema: { tags, querystring: RateListQuery, response: { 200: pageOf(ExchangeRateOut) } } },
    async (request) => {
      const page = pageRequest(request.query, app.config);
      const result = await inTenant(request, (ctx) => commission.listRates(ctx, request.query, { limit: page.pageSize, offset: page.offset }));
      return pageEnvelope(request, page, result.count, result.rows);
    },
  );
  app.post('/api/commission/exchange-rates/', { config: { permission: MANAGE }, schema: { tags, body: RateBody, response: { 201: ExchangeRateCreated } } }, async (request, reply) =>
    sendIdempotent(request, reply, 201, (ctx) => commission.recordRate(ctx, request.body)),
  );

  app.get('/api/commission/plans/', { config: { permission: VIEW_ALL }, schema: { tags, response: { 200: z.array(PlanOut) } } }, async (request) =>
    inTenant(request, (ctx) => commission.listPlans(ctx)),
  );
  app.post('/api/commission/plans/', { config: { permission: MANAGE }, schema: { tags, body: PlanBody, response: { 201: PlanOut } } }, async (request, reply) =>
    reply.code(201).send(await inTenant(request, (ctx) => commission.setPlan(ctx, request.body))),
  );

  await app.register(commissionWebRoutes);
}
