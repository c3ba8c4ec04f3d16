// /api/project/… projects, on both the short paths the web client calls and the seeds'
// /api/project/projects/ paths.
import { requireActor } from '../../core/http/auth.ts';
import { inTenant } from '../../core/http/context.ts';
import { idParams } from '../../core/http/fields.ts';
import { pageEnvelope, pageOf, pageRequest } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { inRecordOrg, namesOtherOrg, iso } from '../../core/http/org-scope.ts';
import type { ProjectRow } from './repo.ts';
import { ProjectBody, ProjectListQuery, ProjectOut, ProjectPatchBody } from './schemas.ts';
import * as projects from './service.ts';
import { noContent } from '../../core/http/responses.ts';

const NOT_FOUND = 'Project not found.';

function presentProject(p: ProjectRow) {
  const creator = `${p.creator_first_name ?? ''} ${p.creator_last_name ?? ''}`.trim() || p.creator_email;
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    status: p.status,
    start_date: p.start_date,
    end_date: p.end_date,
    organization: p.organization_id,
    created_by: p.created_by,
    created_by_name: creator ?? null,
    team_count: p.team_count,
    created_at: iso(p.created_at),
    updated_at: iso(p.updated_at),
  };
}

export async function projectRoutes(app: AppInstance) {
  const tags = ['projects'];

  for (const base of ['/api/project', '/api/project/projects']) {
    // A paginated envelope like every list; the contract says "array", but the web client ignores the result.
    app.get(`${base}/`, { config: { permission: 'projects:view' }, schema: { tags, querystring: ProjectListQuery, response: { 200: pageOf(ProjectOut) } } }, async (request) => {
      const q = request.query;
      const page = pageRequest(q, app.config);
      if (namesOtherOrg(requireActor(request), q.organization)) return pageEnvelope(request, page, 0, []);
      const result = await inTenant(request, (ctx) => projects.listProjects(ctx, q, { limit: page.pageSize, offset: page.offset }));
      return pageEnvelope(request, page, result.count, result.rows.map(presentProject));
    });

    app.post(
      `${base}/`,
      {
        config: { permission: 'projects:manage' },
        schema: { tags, querystring: ProjectListQuery.pick({ organization: true }), body: ProjectBody, response: { 201: ProjectOut } },
      },
      async (request, reply) => {
        const created = await inTenant(request, (ctx) => projects.createProject(ctx, request.body));
        return reply.code(201).send(presentProject(created));
      },
    );

    app.get(`${base}/:id/`, { config: { permission: 'projects:view' }, schema: { tags, params: idParams, response: { 200: ProjectOut } } }, async (request) =>
      presentProject(await inRecordOrg(request, 'projects', request.params.id, NOT_FOUND, (ctx) => projects.getProject(ctx, request.params.id))),
    );

    for (const method of ['PUT', 'PATCH'] as const) {
      app.route({
        method,
        url: `${base}/:id/`,
        config: { permission: 'projects:manage' },
        schema: { tags, params: idParams, body: method === 'PUT' ? ProjectBody : ProjectPatchBody, response: { 200: ProjectOut } },
        handler: async (request) =>
          presentProject(await inRecordOrg(request, 'projects', request.params.id, NOT_FOUND, (ctx) => projects.updateProject(ctx, request.params.id, request.body))),
      });
    }

    app.delete(`${base}/:id/`, { config: { permission: 'projects:manage' }, schema: { tags, params: idParams, response: noContent } }, async (request, reply) => {
      await inRecordOrg(request, 'projects', request.params.id, NOT_FOUND, (ctx) => projects.deleteProject(ctx, request.params.id));
      return reply.code(204).send(null);
    });
  }
}
