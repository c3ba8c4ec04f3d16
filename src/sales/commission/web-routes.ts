// The web client's commission routes: the org-admin grid (plain camelCase array), its bulk
// update (JSON array body), the CSV export of selected rows, and the reference data lists.
//
// The grid works on one period: `?period=` (default yearly) containing `?start_date=` (default
// the organisation's today). The client's bulk update always sends start_date 2024-01-01 and
// end_date 2024-12-31 (hard-coded in the client), so the rows' dates are ignored and the update
// applies to the same period as the GET; `totalSales` and the computed amounts are never taken
// from the client: sales are the verified payments, converted at the recorded rates.
import { z } from 'zod';
import { inTenant } from '../../core/http/context.ts';
import { serializerCompiler } from '../../core/http/schema-compilers.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { COUNTRIES, flagEmoji } from './countries.ts';
import { CURRENCIES } from './currencies.ts';
import { commissionCsv, orgAdminRow } from './present.ts';
import { BulkBody, BulkOut, ExportBody, ExportQuery, OrgAdminRow, PeriodQuery } from './schemas.ts';
import { MANAGE, requireMember, standardPeriod, todayOf, VIEW_ALL } from './service.ts';
import { adjustStatements, computeStatements } from './statements.ts';

const CurrencyList = z.array(
  z.object({
    code: z.string(),
    name: z.string(),
    symbol: z.string(),
    numeric: z.string(),
    country: z.object({ name: z.string(), alpha_2: z.string(), alpha_3: z.string(), flag_emoji: z.string() }).nullable(),
  }),
);
const CountryCodeList = z.array(
  z.object({ name: z.string(), alpha_2: z.string(), alpha_3: z.string(), numeric: z.string(), calling_code: z.string(), flag_emoji: z.string(), is_popular: z.boolean() }),
);
const NationalityList = z.array(
  z.object({ nationality: z.string(), country_name: z.string(), alpha_2: z.string(), alpha_3: z.string(), numeric: z.string(), flag_emoji: z.string(), is_popular: z.boolean() }),
);

const COUNTRY_CODES = COUNTRIES.map((c) => ({ name: c.name, alpha_2: c.alpha_2, alpha_3: c.alpha_3, numeric: c.numeric, calling_code: c.calling_code, flag_emoji: flagEmoji(c.alpha_2), is_popular: c.is_popular }));
const NATIONALITIES = COUNTRIES.map((c) => ({ nationality: c.nationality, country_name: c.name, alpha_2: c.alpha_2, alpha_3: c.alpha_3, numeric: c.numeric, flag_emoji: flagEmoji(c.alpha_2), is_popular: c.is_popular }));

const GridQuery = PeriodQuery.pick({ period: true, start_date: true });
const OrgAdminRows = z.array(OrgAdminRow);
/** The export answers CSV or JSON, so its route has no response schema; the JSON is the grid's. */
const exportJson = serializerCompiler({ schema: OrgAdminRows, method: 'POST', url: '/api/commission/commissions/export-selected/', httpStatus: '200' });

export async function commissionWebRoutes(app: AppInstance) {
  const tags = ['commission'];

  // Reference data: any signed-in user (the deal form and client forms use it).
  app.get('/api/commission/currencies/', { schema: { tags, response: { 200: CurrencyList } } }, async () => [...CURRENCIES]);
  app.get('/api/commission/country-codes/', { schema: { tags, response: { 200: CountryCodeList } } }, async () => COUNTRY_CODES);
  app.get('/api/commission/nationalities/', { schema: { tags, response: { 200: NationalityList } } }, async () => NATIONALITIES);

  app.get(
    '/api/commission/commissions/org-admin/',
    { config: { permission: VIEW_ALL }, schema: { tags, querystring: GridQuery, response: { 200: OrgAdminRows } } },
    async (request) =>
      inTenant(request, async (ctx) => {
        const period = standardPeriod(request.query, await todayOf(ctx), 'yearly');
        return (await computeStatements(ctx, period, null)).map(orgAdminRow);
      }),
  );

  app.put(
    '/api/commission/commissions/bulk-update/',
    { config: { permission: MANAGE }, schema: { tags, querystring: GridQuery, body: BulkBody, response: { 200: BulkOut } } },
    async (request) =>
      inTenant(request, async (ctx) => {
        const period = standardPeriod(request.query, await todayOf(ctx), 'yearly');
        const views = await adjustStatements(ctx, period, request.body);
        return { message: `Successfully updated ${views.length} commission records`, updated_commissions: views.map(orgAdminRow) };
      }),
  );

  app.post(
    '/api/commission/commissions/export-selected/',
    { config: { permission: VIEW_ALL }, schema: { tags, querystring: ExportQuery, body: ExportBody } },
    async (request, reply) => {
      const rows = await inTenant(request, async (ctx) => {
        const ids = [...new Set(request.body.user_ids)];
        for (const id of ids) await requireMember(ctx, id);
        const period = standardPeriod(request.query, await todayOf(ctx), 'yearly');
        return computeStatements(ctx, period, ids);
      });
      // The grid's rows, written by the grid's serialiser (ids as JSON integers, user_id a string).
      if (request.query.format === 'json') return reply.type('application/json; charset=utf-8').serializer(exportJson).send(rows.map(orgAdminRow));
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="selected_commissions.csv"')
        .send(commissionCsv(rows));
    },
  );
}
