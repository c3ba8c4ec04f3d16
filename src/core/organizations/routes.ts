// /api/organizations/… tenants: Super Admin management, self-registration, own-organisation view.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hasPermission, requireActor } from '../http/auth.ts';
import { inSystem, inTenant, requestMeta, type ServiceContext } from '../http/context.ts';
import { forbidden, notFound, tooManyRequests } from '../http/errors.ts';
import { decimalInput, emailField, idParams, isId, queryBool, wireId } from '../http/fields.ts';
import { pageEnvelope, pageOf, pageQueryFields, pageRequest } from '../http/pagination.ts';
import type { AppInstance } from '../http/types.ts';
import type { AuthKit } from '../auth/kit.ts';
import { LoginOut } from '../auth/schemas.ts';
import { openSession } from '../auth/sessions.ts';
import { OrgOut, presentOrg } from './present.ts';
import * as orgs from './service.ts';
import * as repo from './repo.ts';
import { inPathOrganisation } from './members-routes.ts';
import { assertMayEditOrganization, deleteOwnOrganization } from './members-service.ts';
import { noContent } from '../http/responses.ts';

const timeZone = z.string().max(64).refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'Unknown time zone.');

const OrgFields = {
  description: z.string().trim().max(2000).optional(),
  contact_email: z.union([emailField, z.literal('')]).optional(),
  contact_number: z.string().trim().max(40).optional(),
  address: z.string().trim().max(500).optional(),
  sales_goal: decimalInput.optional(),
  currency: z.string().trim().toUpperCase().regex(/^[A-Z]{3}$/, 'Use a 3-letter ISO 4217 currency code.').optional(),
  time_zone: timeZone.optional(),
  is_active: z.boolean().optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
};
const orgName = z.string().trim().min(1, 'This field may not be blank.').max(255);
const AdminFields = {
  admin_email: emailField,
  admin_first_name: z.string().trim().max(150).optional(),
  admin_last_name: z.string().trim().max(150).optional(),
  admin_password: z.string().min(1).max(256).optional(),
};

const OrgCreateBody = z.object({ name: orgName, ...OrgFields, ...AdminFields, admin_email: emailField.optional() });
const OrgUpdateBody = z.object({ name: orgName.optional(), ...OrgFields });
const CreateWithAdminBody = z.object({ name: orgName, ...OrgFields, ...AdminFields });
const RegisterBody = z.object({ name: orgName, description: OrgFields.description, ...AdminFields, admin_password: z.string().min(1, 'This field may not be blank.').max(256) });

/** Super Admins act in system scope; others only ever reach their own organisation. */
async function withOrg<T>(request: FastifyRequest, id: string, permission: string, fn: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  const actor = requireActor(request);
  if (!isId(id)) throw notFound('Organisation not found.');
  if (actor.isSuperuser) return inSystem(request, fn);
  if (id !== actor.orgId) throw notFound('Organisation not found.');
  if (!hasPermission(actor, permission)) throw forbidden();
  return inTenant(request, fn);
}

export function organizationRoutes(kit: AuthKit) {
  return async function routes(app: AppInstance) {
    const tags = ['organizations'];

    app.get(
      '/api/organizations/',
      { schema: { tags, querystring: z.object({ ...pageQueryFields, search: z.string().max(200).optional(), is_active: queryBool.optional() }), response: { 200: pageOf(OrgOut) } } },
      async (request) => {
        const actor = requireActor(request);
        const page = pageRequest(request.query, app.config);
        const filters = { search: request.query.search || undefined, isActive: request.query.is_active, limit: page.pageSize, offset: page.offset };
        let result;
        if (actor.isSuperuser) result = await inSystem(request, (ctx) => repo.listOrganizations(ctx.tx, filters));
        // The list is an administration screen: an Org Admin sees their own organisation in it,
        // other roles read theirs through GET /api/organizations/{id}/.
        else if (actor.orgId && hasPermission(actor, 'organization:change')) result = await inTenant(request, (ctx) => repo.listOrganizations(ctx.tx, { ...filters, onlyId: actor.orgId! }));
        else throw forbidden();
        return pageEnvelope(request, page, result.count, result.rows.map(presentOrg));
      },
    );

    app.post('/api/organizations/', { config: { superAdmin: true }, schema: { tags, body: OrgCreateBody, response: { 201: OrgOut } } }, async (request, reply) => {
      const { admin_email, admin_first_name, admin_last_name, admin_password, ...org } = request.body;
      const created = await inSystem(request, async (ctx) => {
        const id = admin_email
          ? (await orgs.createOrganizationWithAdmin(ctx, org, { admin_email, admin_first_name, admin_last_name, admin_password }, true)).orgId
          : (await orgs.createOrganization(ctx, org)).id;
        return orgs.getOrganization(ctx.tx, id);
      });
      return reply.code(201).send(presentOrg(created));
    });

    const adminUser = z.object({ id: wireId, email: z.string(), first_name: z.string(), last_name: z.string() });
    for (const url of ['/api/organizations/create_with_admin/', '/api/organizations/create-with-admin/']) {
      app.post(url, { config: { superAdmin: true }, schema: { tags, body: CreateWithAdminBody, response: { 201: z.object({ organization: OrgOut, admin_user: adminUser }) } } }, async (request, reply) => {
        const { admin_email, admin_first_name, admin_last_name, admin_password, ...org } = request.body;
        const result = await inSystem(request, async (ctx) => {
          const { orgId, adminId } = await orgs.createOrganizationWithAdmin(ctx, org, { admin_email, admin_first_name, admin_last_name, admin_password }, true);
          return { organization: presentOrg(await orgs.getOrganization(ctx.tx, orgId)), admin_user: { id: adminId, email: admin_email, first_name: admin_first_name ?? '', last_name: admin_last_name ?? '' } };
        });
        return reply.code(201).send(result);
      });
    }

    // Public self-registration: a new organisation and its first admin, signed in at once.
    app.post('/api/organizations/register/', { config: { auth: 'none' }, schema: { tags, security: [], body: RegisterBody, response: { 201: LoginOut } } }, async (request, reply) => {
      const attempts = await kit.counters.increment(`register:ip:${request.ip}`, 3600_000);
      if (attempts.count > 5) throw tooManyRequests(attempts.resetIn);
      const { admin_email, admin_first_name, admin_last_name, admin_password, ...org } = request.body;
      const session = await app.db.system(async (tx) => {
        const ctx: ServiceContext = { tx, orgId: null, actor: null, meta: requestMeta(request) };
        const { orgId, adminId } = await orgs.createOrganizationWithAdmin(ctx, org, { admin_email, admin_first_name, admin_last_name, admin_password }, false);
        return openSession(kit, tx, ctx.meta, adminId, orgId);
      });
      return reply.code(201).send(session);
    });

    app.get('/api/organizations/:id/', { schema: { tags, params: idParams, response: { 200: OrgOut } } }, async (request) =>
      presentOrg(await withOrg(request, request.params.id, 'organization:view', (ctx) => orgs.getOrganization(ctx.tx, request.params.id))),
    );

    for (const method of ['PUT', 'PATCH'] as const) {
      app.route({
        method,
        url: '/api/organizations/:id/',
        schema: { tags, params: idParams, body: OrgUpdateBody, response: { 200: OrgOut } },
        handler: async (request) => {
          const actor = requireActor(request);
          // Only the platform switches an organisation on or off.
          const input = actor.isSuperuser ? request.body : { ...request.body, is_active: undefined };
          if (actor.isSuperuser) return presentOrg(await withOrg(request, request.params.id, 'organization:change', (ctx) => orgs.updateOrganization(ctx, request.params.id, input)));
          // Members: the owner (members-service.ts has the rule and its exception).
          return presentOrg(
            await inPathOrganisation(request, request.params.id, async (ctx) => {
              await assertMayEditOrganization(ctx, request.params.id);
              return orgs.updateOrganization(ctx, request.params.id, input);
            }),
          );
        },
      });
    }

    // Super Admins delete an organisation nobody belongs to; its owner deletes it once nobody else
    // does. Anyone else naming another organisation gets 404 (never revealing it), their own 403.
    app.delete('/api/organizations/:id/', { schema: { tags, params: idParams, response: noContent } }, async (request, reply) => {
      const actor = requireActor(request);
      if (actor.isSuperuser) await withOrg(request, request.params.id, 'organization:delete', (ctx) => orgs.deleteOrganization(ctx, request.params.id));
      else await inPathOrganisation(request, request.params.id, (ctx) => deleteOwnOrganization(ctx, request.params.id));
      return reply.code(204).send(null);
    });
  };
}
