// /api/team/… teams: /api/team/teams/ as the web client calls it, /api/team/ as the seeds document it.
import { reportingAliases } from '../../core/http/aliases.ts';
import { requireActor } from '../../core/http/auth.ts';
import { inTenant } from '../../core/http/context.ts';
import { fieldError } from '../../core/http/errors.ts';
import { idParams } from '../../core/http/fields.ts';
import { pageEnvelope, pageOf, pageRequest } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { inNamedOrg, inRecordOrg, namesOtherOrg } from '../../core/http/org-scope.ts';
import { presentTeam } from './present.ts';
import { MemberParams, MembersBody, SeedTeamBody, TeamBody, TeamListQuery, TeamOut, TeamPatchBody } from './schemas.ts';
import * as teams from './service.ts';
import { noContent } from '../../core/http/responses.ts';

const NOT_FOUND = 'Team not found.';

export async function teamRoutes(app: AppInstance) {
  const tags = ['teams'];

  for (const url of ['/api/team/teams/', '/api/team/']) {
    app.get(url, { config: { permission: 'teams:view' }, schema: { tags, querystring: TeamListQuery, response: { 200: pageOf(TeamOut) } } }, async (request) => {
      const q = request.query;
      const page = pageRequest(q, app.config, { webClientList: true });
      if (namesOtherOrg(requireActor(request), q.organization)) return pageEnvelope(request, page, 0, []);
      const result = await inTenant(request, (ctx) => teams.listTeams(ctx, q, { limit: page.pageSize, offset: page.offset }));
      return pageEnvelope(request, page, result.count, result.teams.map(presentTeam));
    });

    app.post(url, { config: { permission: 'teams:manage' }, schema: { tags, body: url === '/api/team/' ? SeedTeamBody : TeamBody, response: { 201: TeamOut } } }, async (request, reply) => {
      const org = request.body.organization;
      const created = await reportingAliases(request.body, () =>
        inNamedOrg(request, org === null || org === undefined ? undefined : String(org), (ctx) => teams.createTeam(ctx, request.body)),
      );
      return reply.code(201).send(presentTeam(created));
    });
  }

  app.get('/api/team/teams/:id/', { config: { permission: 'teams:view' }, schema: { tags, params: idParams, response: { 200: TeamOut } } }, async (request) =>
    presentTeam(await inRecordOrg(request, 'teams', request.params.id, NOT_FOUND, (ctx) => teams.getTeam(ctx, request.params.id))),
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/team/teams/:id/',
      config: { permission: 'teams:manage' },
      schema: { tags, params: idParams, body: method === 'PUT' ? TeamBody : TeamPatchBody, response: { 200: TeamOut } },
      handler: async (request) =>
        presentTeam(await inRecordOrg(request, 'teams', request.params.id, NOT_FOUND, (ctx) => teams.updateTeam(ctx, request.params.id, request.body))),
    });
  }

  app.delete('/api/team/teams/:id/', { config: { permission: 'teams:manage' }, schema: { tags, params: idParams, response: noContent } }, async (request, reply) => {
    await inRecordOrg(request, 'teams', request.params.id, NOT_FOUND, (ctx) => teams.deleteTeam(ctx, request.params.id));
    return reply.code(204).send(null);
  });

  app.post(
    '/api/team/teams/:id/members/',
    { config: { permission: 'teams:manage' }, schema: { tags, params: idParams, body: MembersBody, response: { 200: TeamOut } } },
    async (request) => {
      const { user_ids, member_ids, mode } = request.body;
      const field = user_ids !== undefined ? 'user_ids' : 'member_ids';
      const ids = user_ids ?? member_ids;
      if (ids === undefined) throw fieldError('user_ids', 'This field is required.');
      return presentTeam(
        await inRecordOrg(request, 'teams', request.params.id, NOT_FOUND, (ctx) => teams.setMembers(ctx, request.params.id, field, ids, mode ?? 'replace')),
      );
    },
  );

  app.delete(
    '/api/team/teams/:id/members/:user_id/',
    { config: { permission: 'teams:manage' }, schema: { tags, params: MemberParams, response: { 200: TeamOut } } },
    async (request) =>
      presentTeam(await inRecordOrg(request, 'teams', request.params.id, NOT_FOUND, (ctx) => teams.removeMember(ctx, request.params.id, request.params.user_id))),
  );
}
