// /api/permissions/… the permission catalogue, roles and role assignment.
import { z } from 'zod';
import { requireActor } from '../http/auth.ts';
import { inSystem, inTenant, namesOrganisation } from '../http/context.ts';
import { notFound } from '../http/errors.ts';
import { idParams, isId, wireId, idRef, idOrName } from '../http/fields.ts';
import type { AppInstance } from '../http/types.ts';
import { BulkAssignBody } from '../users/schemas.ts';
import { bulkAssignRoles } from '../users/service.ts';
import * as repo from './repo.ts';
import * as access from './service.ts';
import { noContent } from '../http/responses.ts';

const PermissionOut = z.object({ id: wireId, name: z.string(), codename: z.string(), category: z.string() });
const RoleOut = z.object({
  id: wireId,
  name: z.string(),
  description: z.string(),
  organization: wireId,
  organization_name: z.string(),
  is_default: z.boolean(),
  permissions: z.array(wireId),
  permission_codes: z.array(z.string()),
  user_count: z.number(),
});
const RoleBody = z.object({
  name: z.string().trim().min(1, 'This field may not be blank.').max(100),
  description: z.string().trim().max(500).optional(),
  permissions: z.array(idOrName).max(500).optional(),
});
const RolePatch = RoleBody.partial();

const presentRole = (r: repo.RoleRow) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  organization: r.organization_id,
  organization_name: r.organization_name,
  is_default: r.is_default,
  permissions: r.permissions,
  permission_codes: r.permission_codes,
  user_count: r.user_count,
});

export async function accessRoutes(app: AppInstance) {
  const tags = ['roles and permissions'];

  // Grouped by category: {"Deals": [{id, name, codename, category}], …} as the web client reads it.
  app.get('/api/permissions/all/', { schema: { tags, response: { 200: z.record(z.string(), z.array(PermissionOut)) } } }, async (request) => {
    const all = await inSystem(request, (ctx) => repo.listPermissions(ctx.tx));
    const grouped: Record<string, z.infer<typeof PermissionOut>[]> = {};
    for (const p of all) (grouped[p.category] ??= []).push({ id: p.id, name: p.name, codename: p.code, category: p.category });
    return grouped;
  });

  // A plain array: the permission page shows nothing for a {results} object without count.
  app.get(
    '/api/permissions/roles/',
    { config: { permission: ['roles:view', 'roles:manage', 'users:create'] }, schema: { tags, querystring: z.object({ organization: z.string().max(64).optional() }), response: { 200: z.array(RoleOut) } } },
    async (request) => {
      const actor = requireActor(request);
      const wanted = request.query.organization;
      if (actor.isSuperuser && wanted) {
        if (!isId(wanted)) throw notFound('Organisation not found.');
        return (await inTenant(request, (ctx) => access.listRoles(ctx), { orgId: wanted })).map(presentRole);
      }
      if (wanted && wanted !== actor.orgId) throw notFound('Organisation not found.');
      if (!actor.orgId && !namesOrganisation(request)) return [];
      return (await inTenant(request, (ctx) => access.listRoles(ctx))).map(presentRole);
    },
  );

  app.post('/api/permissions/roles/', { config: { permission: 'roles:manage' }, schema: { tags, body: RoleBody, response: { 201: RoleOut } } }, async (request, reply) => {
    const role = await inTenant(request, (ctx) => access.createRole(ctx, request.body));
    return reply.code(201).send(presentRole(role));
  });

  app.get('/api/permissions/roles/:id/', { config: { permission: ['roles:view', 'roles:manage'] }, schema: { tags, params: idParams, response: { 200: RoleOut } } }, async (request) => {
    if (!isId(request.params.id)) throw notFound('Role not found.');
    return presentRole(await inTenant(request, (ctx) => access.getRole(ctx, request.params.id)));
  });

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/permissions/roles/:id/',
      config: { permission: 'roles:manage' },
      schema: { tags, params: idParams, body: method === 'PUT' ? RoleBody : RolePatch, response: { 200: RoleOut } },
      handler: async (request) => {
        if (!isId(request.params.id)) throw notFound('Role not found.');
        return presentRole(await inTenant(request, (ctx) => access.updateRole(ctx, request.params.id, request.body)));
      },
    });
  }

  app.delete('/api/permissions/roles/:id/', { config: { permission: 'roles:manage' }, schema: { tags, params: idParams, response: noContent } }, async (request, reply) => {
    if (!isId(request.params.id)) throw notFound('Role not found.');
    await inTenant(request, (ctx) => access.deleteRole(ctx, request.params.id));
    return reply.code(204).send(null);
  });

  const assignmentResult = z.object({
    successful_assignments: z.array(z.object({ user_id: wireId, user_email: z.string(), role_id: wireId, role_name: z.string() })),
    failed_assignments: z.array(z.object({ assignment: z.object({ user_id: z.string(), role_id: z.string() }), error: z.string() })),
    summary: z.object({ total: z.number(), successful: z.number(), failed: z.number() }),
  });
  app.post('/api/permissions/roles/bulk-assign/', { config: { permission: 'roles:manage' }, schema: { tags, body: BulkAssignBody, response: { 200: assignmentResult } } }, async (request) =>
    inTenant(request, (ctx) => bulkAssignRoles(ctx, request.body.assignments)),
  );
  app.post(
    '/api/permissions/roles/assign/',
    { config: { permission: 'roles:manage' }, schema: { tags, body: z.object({ user_id: idRef, role_id: idOrName }), response: { 200: assignmentResult } } },
    async (request) => inTenant(request, (ctx) => bulkAssignRoles(ctx, [request.body])),
  );
}
