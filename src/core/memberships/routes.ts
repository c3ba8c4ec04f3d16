// /api/user-organizations/ (a person's memberships) and /api/invitations/ (those waiting for
// their answer).
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { inTenant, type ServiceContext } from '../http/context.ts';
import type { Actor } from '../http/auth.ts';
import { notFound } from '../http/errors.ts';
import { idOrName, idParams, isId } from '../http/fields.ts';
import { pageEnvelope, pageOf, pageQueryFields, pageRequest } from '../http/pagination.ts';
import { noContent } from '../http/responses.ts';
import type { AppInstance } from '../http/types.ts';
import { InvitationOut, MembershipMessageOut, OwnMembershipOut, presentInvitation, presentMember } from './present.ts';
import * as memberships from './service.ts';

type Ctx = ServiceContext & { actor: Actor };

const PatchBody = z.object({
  membership_role: z.enum(['owner', 'admin', 'member'], { error: "Choose 'admin' or 'member'." }).optional(),
  role: idOrName.optional(),
});

/** A malformed id names no membership. */
function withMembership<T>(request: FastifyRequest, id: string, fn: (ctx: Ctx, id: string) => Promise<T>): Promise<T> {
  if (!isId(id)) throw notFound('Membership not found.');
  return inTenant(request, (ctx) => fn(ctx, id));
}

export async function membershipRoutes(app: AppInstance) {
  const tags = ['memberships'];
  const pageQuery = z.object(pageQueryFields);

  app.get('/api/user-organizations/', { schema: { tags, querystring: pageQuery, response: { 200: pageOf(OwnMembershipOut) } } }, async (request) => {
    const page = pageRequest(request.query, app.config);
    const result = await inTenant(request, (ctx) => memberships.listOwnMemberships(ctx, { limit: page.pageSize, offset: page.offset }));
    return pageEnvelope(request, page, result.count, result.rows.map(presentMember));
  });

  app.get('/api/user-organizations/:id/', { schema: { tags, params: idParams, response: { 200: OwnMembershipOut } } }, async (request) =>
    presentMember(await withMembership(request, request.params.id, (ctx, id) => memberships.getMembership(ctx, id))),
  );

  app.patch('/api/user-organizations/:id/', { schema: { tags, params: idParams, body: PatchBody, response: { 200: OwnMembershipOut } } }, async (request) =>
    presentMember(await withMembership(request, request.params.id, (ctx, id) => memberships.updateMembership(ctx, id, request.body))),
  );

  app.post('/api/user-organizations/:id/deactivate/', { schema: { tags, params: idParams, response: { 200: MembershipMessageOut } } }, async (request) => {
    const m = await withMembership(request, request.params.id, (ctx, id) => memberships.deactivateMembership(ctx, id));
    return { message: 'Membership deactivated.', membership: presentMember(m) };
  });

  app.post('/api/user-organizations/:id/activate/', { schema: { tags, params: idParams, response: { 200: MembershipMessageOut } } }, async (request) => {
    const m = await withMembership(request, request.params.id, (ctx, id) => memberships.activateMembership(ctx, id));
    return { message: m.status === 'pending' ? 'Invitation sent; the membership is active once accepted.' : 'Membership activated.', membership: presentMember(m) };
  });

  app.get('/api/invitations/', { schema: { tags, querystring: pageQuery, response: { 200: pageOf(InvitationOut) } } }, async (request) => {
    const page = pageRequest(request.query, app.config);
    const result = await inTenant(request, (ctx) => memberships.listInvitations(ctx, { limit: page.pageSize, offset: page.offset }));
    return pageEnvelope(request, page, result.count, result.rows.map(presentInvitation));
  });

  app.post('/api/invitations/:id/accept/', { schema: { tags, params: idParams, response: { 200: MembershipMessageOut } } }, async (request) => {
    const m = await withMembership(request, request.params.id, (ctx, id) => memberships.acceptInvitation(ctx, id));
    return { message: `You joined ${m.organization_name}.`, membership: presentMember(m) };
  });

  app.post('/api/invitations/:id/decline/', { schema: { tags, params: idParams, response: noContent } }, async (request, reply) => {
    await withMembership(request, request.params.id, (ctx, id) => memberships.declineInvitation(ctx, id));
    return reply.code(204).send(null);
  });
}
