// Administration of notifications (`notifications:manage`): templates (the organisation's own;
// Super Admins without an organisation manage the global ones) and the e-mail outbox, which is
// where messages wait, readable, when no SMTP server is configured.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { rows, sql } from '../db/database.ts';
import { pgErrorCode } from '../db/errors.ts';
import { requireActor, type Actor } from '../http/auth.ts';
import { inSystem, inTenant, namesOrganisation, type ServiceContext } from '../http/context.ts';
import { duplicate, notFound } from '../http/errors.ts';
import { isId } from '../http/fields.ts';
import { pageEnvelope, pageOf, pageRequest } from '../http/pagination.ts';
import type { AppInstance } from '../http/types.ts';
import { diff, recordAudit } from '../audit/recorder.ts';
import { iso } from '../http/org-scope.ts';
import { OutboxItem, OutboxQuery, TemplateBody, TemplateOut, TemplatePatchBody } from './schemas.ts';
import * as templates from './templates.ts';
import { noContent } from '../http/responses.ts';

type Ctx = ServiceContext & { actor: Actor };
const MANAGE = 'notifications:manage';
const idParams = z.object({ id: z.string().max(64) });

/** Platform administrators without an organisation work on global rows (system scope). */
function asManager<T>(request: FastifyRequest, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const actor = requireActor(request);
  if (actor.isSuperuser && !actor.orgId && !namesOrganisation(request)) return inSystem(request, (ctx) => fn({ ...ctx, orgId: null, actor }));
  return inTenant(request, fn);
}

async function uniqueType<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (pgErrorCode(err) === '23505') throw duplicate('notification_type', 'A template for this notification type already exists here.');
    throw err;
  }
}

export async function notificationAdminRoutes(app: AppInstance) {
  const tags = ['notification administration'];

  for (const url of ['/api/notifications/templates/', '/api/notifications/admin/list_templates/']) {
    app.get(url, { config: { permission: MANAGE }, schema: { tags, querystring: OutboxQuery.pick({ page: true, page_size: true, limit: true }), response: { 200: pageOf(TemplateOut) } } }, async (request) => {
      const page = pageRequest(request.query, app.config);
      const result = await asManager(request, (ctx) => templates.listTemplates(ctx.tx, ctx.orgId, { limit: page.pageSize, offset: page.offset }));
      return pageEnvelope(request, page, result.count, result.rows.map(templates.presentTemplate));
    });
  }

  for (const url of ['/api/notifications/templates/', '/api/notifications/admin/create_template/']) {
    app.post(url, { config: { permission: MANAGE }, schema: { tags, body: TemplateBody, response: { 201: TemplateOut } } }, async (request, reply) => {
      const b = request.body;
      const created = await asManager(request, async (ctx) => {
        const row = await uniqueType(() =>
          templates.insertTemplate(ctx.tx, ctx.orgId, ctx.actor.userId, {
            notification_type: b.notification_type,
            name: b.name,
            title_template: (b.title_template ?? b.title)!,
            message_template: b.message_template ?? b.message,
            available_variables: b.available_variables ?? b.variables,
            is_active: b.is_active,
          }),
        );
        await recordAudit(ctx, { entity: 'notification_template', entityId: row.id, action: 'create', newValues: { notification_type: row.notification_type, title_template: row.title_template } });
        return row;
      });
      return reply.code(201).send(templates.presentTemplate(created));
    });
  }

  app.get('/api/notifications/templates/:id/', { config: { permission: MANAGE }, schema: { tags, params: idParams, response: { 200: TemplateOut } } }, async (request) => {
    const found = isId(request.params.id) ? await asManager(request, (ctx) => templates.findVisibleTemplate(ctx.tx, ctx.orgId, request.params.id)) : undefined;
    if (!found) throw notFound('Template not found.');
    return templates.presentTemplate(found);
  });

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/notifications/templates/:id/',
      config: { permission: MANAGE },
      schema: { tags, params: idParams, body: TemplatePatchBody, response: { 200: TemplateOut } },
      handler: async (request) => {
        const b = request.body;
        const updated = await asManager(request, async (ctx) => {
          const before = isId(request.params.id) ? await templates.findEditableTemplate(ctx.tx, ctx.orgId, request.params.id) : undefined;
          if (!before) throw notFound('Template not found.');
          const after = await uniqueType(() =>
            templates.updateTemplate(ctx.tx, before, ctx.actor.userId, {
              notification_type: b.notification_type,
              name: b.name,
              title_template: b.title_template ?? b.title,
              message_template: b.message_template ?? b.message,
              available_variables: b.available_variables ?? b.variables,
              is_active: b.is_active,
            }),
          );
          const keys = ['notification_type', 'name', 'title_template', 'message_template', 'is_active'] as const;
          const changes = diff(Object.fromEntries(keys.map((k) => [k, before[k]])), Object.fromEntries(keys.map((k) => [k, after[k]])));
          if (changes.changed) await recordAudit(ctx, { entity: 'notification_template', entityId: after.id, action: 'update', oldValues: changes.oldValues, newValues: changes.newValues });
          return after;
        });
        return templates.presentTemplate(updated);
      },
    });
  }

  app.delete('/api/notifications/templates/:id/', { config: { permission: MANAGE }, schema: { tags, params: idParams, response: noContent } }, async (request, reply) => {
    await asManager(request, async (ctx) => {
      const before = isId(request.params.id) ? await templates.findEditableTemplate(ctx.tx, ctx.orgId, request.params.id) : undefined;
      if (!before) throw notFound('Template not found.');
      await templates.deleteTemplate(ctx.tx, before.id);
      await recordAudit(ctx, { entity: 'notification_template', entityId: before.id, action: 'delete', oldValues: { notification_type: before.notification_type } });
    });
    return reply.code(204).send(null);
  });

  const outboxOut = pageOf(OutboxItem).extend({ smtp_configured: z.boolean() });
  app.get('/api/notifications/outbox/', { config: { permission: MANAGE }, schema: { tags, querystring: OutboxQuery, response: { 200: outboxOut } } }, async (request) => {
    const page = pageRequest(request.query, app.config);
    const status = request.query.status;
    const result = await asManager(request, async (ctx) => {
      const where = sql.join(
        [ctx.orgId ? sql`organization_id = ${ctx.orgId}` : sql`true`, status ? sql`status = ${status}` : sql`true`],
        sql` AND `,
      );
      const [c] = await rows<{ n: number }>(ctx.tx, sql`SELECT count(*)::int AS n FROM email_outbox WHERE ${where}`);
      const list = await rows<{ id: string; organization_id: string | null; recipient: string; subject: string; body: string; status: string; attempts: number;
        last_error: string | null; notification_id: string | null; sent_at: string | Date | null; created_at: string | Date }>(
        ctx.tx,
        sql`SELECT * FROM email_outbox WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${page.pageSize} OFFSET ${page.offset}`,
      );
      return { count: c?.n ?? 0, rows: list };
    });
    const items = result.rows.map((m) => ({
      id: m.id,
      organization: m.organization_id,
      recipient: m.recipient,
      subject: m.subject,
      body: m.body,
      status: m.status,
      attempts: m.attempts,
      last_error: m.last_error,
      notification_id: m.notification_id,
      sent_at: m.sent_at ? iso(m.sent_at) : null,
      created_at: iso(m.created_at),
    }));
    return { ...pageEnvelope(request, page, result.count, items), smtp_configured: !!app.config.smtp };
  });
}
