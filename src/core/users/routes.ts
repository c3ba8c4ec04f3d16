// /api/auth/users/… (user management, as the web client calls it), profile and sales target.
import { invalidateActors } from '../auth/actor-cache.ts';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { rows, sql } from '../db/database.ts';
import { hasPermission, requireActor } from '../http/auth.ts';
import { inOwnScope, inSystem, inTenant, namesOrganisation, type ServiceContext } from '../http/context.ts';
import { duplicate, fieldError, forbidden, notFound } from '../http/errors.ts';
import { idParams, isId, messageOut } from '../http/fields.ts';
import { pageEnvelope, pageOf, pageRequest } from '../http/pagination.ts';
import type { AppInstance } from '../http/types.ts';
import { money } from '../money.ts';
import type { Actor } from '../http/auth.ts';
import { recordAudit } from '../audit/recorder.ts';
import { checkUpload } from '../files/detect.ts';
import type { UploadedFile } from '../http/multipart.ts';
import { presentUser } from './present.ts';
import * as repo from './repo.ts';
import { ProfileUpdateBody, SalesTargetBody, UserCreateBody, UserListQuery, UserOut, UserUpdateBody } from './schemas.ts';
import * as users from './service.ts';

type Ctx = ServiceContext & { actor: Actor };

/** Checks the picture is really an image and stores it; answers its public path. */
async function storeProfilePicture(app: AppInstance, file: UploadedFile): Promise<string> {
  const check = checkUpload(file, ['png', 'jpeg', 'gif', 'webp'], 5 * 1024 * 1024);
  if (!check.ok || !check.kind) throw fieldError('profile_picture', check.problem ?? 'Invalid image.');
  const key = await app.files.put('profile_pics', check.kind, file.data);
  return `/media/${key}`;
}

/**
 * Super Admins have no organisation of their own: they act in the organisation a request
 * names (create, list), else the one the target user last worked in (their earliest otherwise).
 */
async function orgForSuperAdmin(request: FastifyRequest, explicit: unknown, userId?: string): Promise<string | null> {
  if (typeof explicit === 'string' && explicit) {
    if (!isId(explicit)) throw fieldError('organization', 'Organisation not found.');
    const found = await inSystem(request, (c) => rows(c.tx, sql`SELECT 1 FROM organizations WHERE id = ${explicit}`));
    if (!found.length) throw fieldError('organization', 'Organisation not found.');
    return explicit;
  }
  if (userId && isId(userId)) return (await inSystem(request, (c) => repo.primaryOrganisation(c.tx, userId))) ?? null;
  return null;
}

/**
 * Work on one person as the active organisation sees them. A Super Admin without one (who names
 * none) reaches them through their own organisation.
 */
async function forUser<T>(request: FastifyRequest, userId: string, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  if (!isId(userId)) throw notFound('User not found.');
  const actor = requireActor(request);
  if (!actor.isSuperuser || actor.orgId || namesOrganisation(request)) return inTenant(request, fn);
  const orgId = await orgForSuperAdmin(request, undefined, userId);
  if (!orgId) throw notFound('User not found.');
  return inTenant(request, fn, { orgId });
}

export async function userRoutes(app: AppInstance) {
  const tags = ['users'];

  app.get('/api/auth/users/', { config: { permission: 'users:view' }, schema: { tags, querystring: UserListQuery, response: { 200: pageOf(UserOut) } } }, async (request) => {
    const q = request.query;
    const page = pageRequest(q, app.config, { webClientList: true });
    const actor = requireActor(request);
    const run = async (ctx: Ctx) => users.listUsers(ctx, { ...q, search: q.search || q.full_name }, { limit: page.pageSize, offset: page.offset });
    const result =
      actor.isSuperuser && !actor.orgId
        ? q.organization
          ? await inTenant(request, run, { orgId: await orgForSuperAdmin(request, q.organization) })
          : namesOrganisation(request)
            ? await inTenant(request, run)
            : await inSystem(request, (ctx) => run({ ...ctx, actor }))
        : await inTenant(request, run);
    return pageEnvelope(request, page, result.count, result.rows.map(presentUser));
  });

  app.post('/api/auth/users/', { config: { permission: 'users:create' }, schema: { tags, body: UserCreateBody, response: { 201: UserOut } } }, async (request, reply) => {
    const actor = requireActor(request);
    const orgId = actor.isSuperuser ? await orgForSuperAdmin(request, request.body.organization === null ? undefined : String(request.body.organization ?? '')) : undefined;
    if (actor.isSuperuser && !orgId && !actor.orgId && !namesOrganisation(request)) throw fieldError('organization', 'This field is required.');
    const user = await inTenant(request, (ctx) => users.createUser(ctx, request.body), orgId ? { orgId } : {});
    return reply.code(201).send(presentUser(user));
  });

  app.get('/api/auth/users/:id/', { config: { permission: 'users:view' }, schema: { tags, params: idParams, response: { 200: UserOut } } }, async (request) =>
    presentUser(await forUser(request, request.params.id, (ctx) => users.getUser(ctx, request.params.id))),
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/auth/users/:id/',
      config: { permission: 'users:change' },
      schema: { tags, params: idParams, body: UserUpdateBody, response: { 200: UserOut } },
      handler: async (request) =>
        presentUser(await forUser(request, request.params.id, (ctx) => users.updateUser(ctx, request.params.id, request.body))),
    });
  }

  app.delete('/api/auth/users/:id/', { config: { permission: 'users:delete' }, schema: { tags, params: idParams, response: { 200: messageOut } } }, async (request) => {
    await forUser(request, request.params.id, (ctx) => users.deactivateUser(ctx, request.params.id));
    return { message: 'User deactivated.' };
  });

  /** The caller's own user row; a Super Admin who named another organisation has none there. */
  async function ownUser(ctx: ServiceContext & { actor: { userId: string } }) {
    const user = await repo.findUser(ctx.tx, ctx.actor.userId, ctx.orgId);
    if (!user) throw notFound('You have no profile in this organisation.');
    return user;
  }

  // The signed-in user's own profile: only personal fields are writable here.
  for (const url of ['/api/auth/profile/', '/api/auth/user/']) {
    app.get(url, { schema: { tags: ['profile'], response: { 200: UserOut } } }, async (request) =>
      presentUser(await inTenant(request, (ctx) => ownUser(ctx))),
    );
    for (const method of ['PUT', 'PATCH'] as const) {
      app.route({
        method,
        url,
        schema: { tags: ['profile'], body: ProfileUpdateBody, response: { 200: UserOut } },
        handler: async (request) => {
          const b = request.body;
          const user = await inOwnScope(request, async (ctx) => {
            if (b.email && (await repo.emailTaken(ctx.tx, b.email, ctx.actor.userId))) throw duplicate('email', 'A user with this email already exists.');
            const before = await ownUser(ctx);
            const picture = b.profile_picture ? await storeProfilePicture(app, b.profile_picture) : undefined;
            await repo.updateUser(ctx.tx, ctx.actor.userId, {
              profile_picture: picture,
              first_name: b.first_name,
              last_name: b.last_name,
              email: b.email,
              contact_number: users.normaliseContactNumber(b.phoneNumber ?? b.contact_number),
              address: b.address,
              bio: b.bio,
            });
            const after = await ownUser(ctx);
            // The cached actor carries the name and e-mail.
            invalidateActors(ctx, { kind: 'user', id: after.id });
            await recordAudit(ctx, { entity: 'user', entityId: after.id, action: 'profile_update', oldValues: { email: before.email, first_name: before.first_name, last_name: before.last_name }, newValues: { email: after.email, first_name: after.first_name, last_name: after.last_name } });
            return after;
          });
          return presentUser(user);
        },
      });
    }
  }

  const SET_SALES_TARGET = 'users:set_sales_target';
  const salesTargetOut = z.object({ message: z.string(), sales_target: z.string(), user: UserOut });
  for (const url of ['/api/auth/user/set-sales-target/', '/api/auth/users/set-sales-target/']) {
    app.post(url, { schema: { tags: ['profile'], body: SalesTargetBody, response: { 200: salesTargetOut } } }, async (request) => {
      const user = await inOwnScope(request, async (ctx) => {
        const before = await ownUser(ctx);
        // The target is an organisation's view of its member (memberships.sales_target).
        if (!ctx.orgId || before.organization_id !== ctx.orgId) throw notFound('You have no membership to set a sales target in.');
        // A target is a manager's yardstick: without the permission a user may only set a first
        // one (the web client's "Personal Goal" prompt), never change one they were given.
        if (!hasPermission(ctx.actor, SET_SALES_TARGET) && !money(before.sales_target).isZero()) {
          throw forbidden('Only a manager can change a sales target.');
        }
        await repo.setMembershipSalesTarget(ctx.tx, ctx.orgId, ctx.actor.userId, request.body.sales_target);
        await recordAudit(ctx, { entity: 'user', entityId: ctx.actor.userId, action: 'set_sales_target', oldValues: { sales_target: before.sales_target }, newValues: { sales_target: request.body.sales_target } });
        return ownUser(ctx);
      });
      return { message: 'Sales target updated.', sales_target: user.sales_target, user: presentUser(user) };
    });
  }
}
