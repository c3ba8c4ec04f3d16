// /api/clients/… the organisation's clients, as the seeds document them and the web client calls them.
import { requireActor } from '../../core/http/auth.ts';
import { inTenant } from '../../core/http/context.ts';
import { idParams } from '../../core/http/fields.ts';
import { pageEnvelope, pageOf, pageRequest } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { inNamedOrg, inRecordOrg, namesOtherOrg } from '../../core/http/org-scope.ts';
import { presentActivity, presentClient } from './present.ts';
import type { ActivityRow, ClientRow } from './repo.ts';
import { ActivityListQuery, ActivityOut, ClientBody, ClientDetailOut, ClientListQuery, ClientOut, ClientPatchBody } from './schemas.ts';
import * as clients from './service.ts';
import { noContent } from '../../core/http/responses.ts';

const VIEW = ['clients:view_own', 'clients:view_team', 'clients:view_all'] as const;
const NOT_FOUND = 'Client not found.';

const presentDetail = ({ client, activities }: { client: ClientRow; activities: ActivityRow[] }) => ({
  ...presentClient(client),
  activities: activities.map(presentActivity),
});

export async function clientRoutes(app: AppInstance) {
  const tags = ['clients'];

  app.get('/api/clients/', { config: { permission: VIEW }, schema: { tags, querystring: ClientListQuery, response: { 200: pageOf(ClientOut) } } }, async (request) => {
    const q = request.query;
    const page = pageRequest(q, app.config, { webClientList: true });
    // The web client sends its own organisation's id; any other organisation has nothing to show.
    if (namesOtherOrg(requireActor(request), q.organization)) return pageEnvelope(request, page, 0, []);
    const result = await inTenant(request, (ctx) => clients.listClients(ctx, q, { limit: page.pageSize, offset: page.offset }));
    return pageEnvelope(request, page, result.count, result.rows.map(presentClient));
  });

  app.post('/api/clients/', { config: { permission: 'clients:create' }, schema: { tags, body: ClientBody, response: { 201: ClientDetailOut } } }, async (request, reply) => {
    const organization = request.body.organization === null || request.body.organization === undefined ? undefined : String(request.body.organization);
    const created = await inNamedOrg(request, organization, (ctx) => clients.createClient(ctx, request.body));
    return reply.code(201).send(presentDetail(created));
  });

  app.get('/api/clients/:id/', { config: { permission: VIEW }, schema: { tags, params: idParams, response: { 200: ClientDetailOut } } }, async (request) =>
    presentDetail(await inRecordOrg(request, 'clients', request.params.id, NOT_FOUND, (ctx) => clients.getClient(ctx, request.params.id))),
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/clients/:id/',
      config: { permission: 'clients:change' },
      schema: { tags, params: idParams, body: method === 'PUT' ? ClientBody : ClientPatchBody, response: { 200: ClientDetailOut } },
      handler: async (request) =>
        presentDetail(await inRecordOrg(request, 'clients', request.params.id, NOT_FOUND, (ctx) => clients.updateClient(ctx, request.params.id, request.body))),
    });
  }

  app.delete('/api/clients/:id/', { config: { permission: 'clients:delete' }, schema: { tags, params: idParams, response: noContent } }, async (request, reply) => {
    await inRecordOrg(request, 'clients', request.params.id, NOT_FOUND, (ctx) => clients.deleteClient(ctx, request.params.id));
    return reply.code(204).send(null);
  });

  app.get(
    '/api/clients/:id/activity/',
    { config: { permission: VIEW }, schema: { tags, params: idParams, querystring: ActivityListQuery, response: { 200: pageOf(ActivityOut) } } },
    async (request) => {
      const page = pageRequest(request.query, app.config);
      const result = await inRecordOrg(request, 'clients', request.params.id, NOT_FOUND, (ctx) =>
        clients.listClientActivity(ctx, request.params.id, { limit: page.pageSize, offset: page.offset }),
      );
      return pageEnvelope(request, page, result.count, result.rows.map(presentActivity));
    },
  );
}
