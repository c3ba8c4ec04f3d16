// /api/organizations/… about people: the caller's organisations, an organisation's members,
// adding one, confirming an invitation, transferring ownership.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireActor, type Actor } from '../http/auth.ts';
import { inSystem, inTenant, type ServiceContext } from '../http/context.ts';
import { notFound } from '../http/errors.ts';
import { emailField, idOrName, idParams, isId, queryBool, wireId } from '../http/fields.ts';
import { pageEnvelope, pageOf, pageQueryFields, pageRequest } from '../http/pagination.ts';
import type { AppInstance } from '../http/types.ts';
import { MemberOut, presentMember } from '../memberships/present.ts';
import * as members from './members-service.ts';
import * as repo from './repo.ts';
import { OrgOut, presentOrg } from './present.ts';

type Ctx = ServiceContext & { actor: Actor };

/**
 * Runs `fn` in the organisation the path names, which must be the active one (a Super Admin:
 * any existing organisation); anything else is not found, before any role check.
 */
export function inPathOrganisation<T>(request: FastifyRequest, id: string, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const actor = requireActor(request);
  if (!isId(id)) throw notFound('Organisation not found.');
  if (actor.isSuperuser) return inTenant(request, fn, { orgId: id });
  return inTenant(request, (ctx) => {
    if (ctx.orgId !== id) throw notFound('Organisation not found.');
    return fn(ctx);
  });
}

const MyOrganizationOut = OrgOut.extend({
  member_count: z.number(),
  membership_id: wireId,
  membership_role: z.enum(['owner', 'admin', 'member']),
  is_owner: z.boolean(),
  role: z.object({ id: wireId, name: z.string() }).nullable(),
  joined_at: z.string(),
  is_current: z.boolean(),
});

const MembersQuery = z.object({
  ...pageQueryFields,
  status: z.enum(['active', 'pending', 'all'], { error: "Choose 'active', 'pending' or 'all'." }).optional(),
  is_active: queryBool.optional(),
  search: z.string().max(200).optional(),
});

const AddMemberBody = z.object({
  email: emailField,
  role: idOrName.optional(),
  membership_role: z.enum(['admin', 'member'], { error: "Choose 'admin' or 'member'." }).optional(),
  first_name: z.string().trim().max(150).optional(),
  last_name: z.string().trim().max(150).optional(),
});

// idField's own message would also answer a missing user_id; this one says "required" then.
const userIdField = z.union([z.number(), z.string().trim()]).transform(String).pipe(z.string().refine(isId, 'Must be a valid id.'));

const MemberMessageOut = z.object({ message: z.string(), membership: MemberOut });

export async function organizationMemberRoutes(app: AppInstance) {
  const tags = ['organizations'];

  app.get('/api/organizations/my_organizations/', { schema: { tags, querystring: z.object(pageQueryFields), response: { 200: pageOf(MyOrganizationOut) } } }, async (request) => {
    const actor = requireActor(request);
    const page = pageRequest(request.query, app.config);
    const result = await inSystem(request, (ctx) => repo.listMyOrganizations(ctx.tx, actor.userId, { limit: page.pageSize, offset: page.offset }));
    const items = result.rows.map(({ role_id, role_name, membership_role, joined_at, member_count, membership_id, ...org }) => ({
      ...presentOrg(org),
      member_count,
      membership_id,
      membership_role,
      is_owner: membership_role === 'owner',
      role: role_id ? { id: role_id, name: role_name ?? '' } : null,
      joined_at: new Date(joined_at).toISOString(),
      is_current: org.id === actor.orgId,
    }));
    return pageEnvelope(request, page, result.count, items);
  });

  app.get('/api/organizations/:id/members/', { schema: { tags, params: idParams, querystring: MembersQuery, response: { 200: pageOf(MemberOut) } } }, async (request) => {
    const q = request.query;
    const page = pageRequest(q, app.config);
    const result = await inPathOrganisation(request, request.params.id, (ctx) =>
      members.listMembers(ctx, ctx.orgId!, { status: q.status ?? 'active', is_active: q.is_active, search: q.search }, { limit: page.pageSize, offset: page.offset }),
    );
    return pageEnvelope(request, page, result.count, result.rows.map(presentMember));
  });

  app.post(
    '/api/organizations/:id/add_member/',
    { schema: { tags, params: idParams, body: AddMemberBody, response: { 201: MemberMessageOut.extend({ user_created: z.boolean() }) } } },
    async (request, reply) => {
      const result = await inPathOrganisation(request, request.params.id, (ctx) => members.addMember(ctx, ctx.orgId!, request.body));
      return reply.code(201).send({ ...result, membership: presentMember(result.membership) });
    },
  );

  app.post(
    '/api/organizations/:id/transfer_ownership/',
    {
      schema: {
        tags,
        params: idParams,
        body: z.object({ user_id: userIdField }),
        response: { 200: z.object({ message: z.string(), organization: wireId, owner: z.object({ user_id: wireId, email: z.string() }) }) },
      },
    },
    async (request) => inPathOrganisation(request, request.params.id, (ctx) => members.transferOwnership(ctx, ctx.orgId!, request.body.user_id)),
  );

  app.post(
    '/api/organizations/:id/members/:membership_id/confirm/',
    { schema: { tags, params: z.object({ id: z.string().max(64), membership_id: z.string().max(64) }), response: { 200: MemberMessageOut } } },
    async (request) => {
      const { id, membership_id } = request.params;
      const m = await inPathOrganisation(request, id, (ctx) => {
        if (!isId(membership_id)) throw notFound('Membership not found.');
        return members.confirmMember(ctx, ctx.orgId!, membership_id);
      });
      return { message: 'Membership confirmed.', membership: presentMember(m) };
    },
  );
}
