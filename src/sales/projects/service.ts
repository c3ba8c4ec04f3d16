// Projects of an organisation: list, read, create, update, delete — each write audited.
// Every member with projects:view sees the organisation's projects (the original hid a new
// project from its own creator until it was attached to one of their teams).
import type { SQL } from 'drizzle-orm';
import { sql } from '../../core/db/database.ts';
import { fieldError, notFound } from '../../core/http/errors.ts';
import { isId } from '../../core/http/fields.ts';
import { diff, recordAudit } from '../../core/audit/recorder.ts';
import { containsPattern, orgForWrite, type Ctx } from '../../core/http/org-scope.ts';
import * as repo from './repo.ts';
import { notifyCreatedInOrg } from '../../core/notifications/triggers.ts';
import type { ProjectInput, ProjectListFilters } from './schemas.ts';

const ORDERINGS: Record<string, SQL> = {
  name: sql`p.name`,
  '-name': sql`p.name DESC`,
  created_at: sql`p.created_at`,
  '-created_at': sql`p.created_at DESC`,
  start_date: sql`p.start_date NULLS LAST`,
  '-start_date': sql`p.start_date DESC NULLS LAST`,
  end_date: sql`p.end_date NULLS LAST`,
  '-end_date': sql`p.end_date DESC NULLS LAST`,
};

const NOT_FOUND = 'Project not found.';

export async function listProjects(ctx: Ctx, f: ProjectListFilters, page: { limit: number; offset: number }) {
  if (!ctx.orgId) return { count: 0, rows: [] };
  const conditions: SQL[] = [];
  const term = f.search?.trim();
  if (term) conditions.push(sql`(p.name ILIKE ${containsPattern(term)} OR p.description ILIKE ${containsPattern(term)})`);
  if (f.status) conditions.push(sql`p.status = ${f.status}`);
  return repo.listProjects(ctx.tx, { orgId: ctx.orgId, conditions, ordering: ORDERINGS[f.ordering ?? ''] ?? ORDERINGS['-created_at']!, ...page });
}

export async function getProject(ctx: Ctx, id: string): Promise<repo.ProjectRow> {
  const project = ctx.orgId && isId(id) ? await repo.findProject(ctx.tx, ctx.orgId, id) : undefined;
  if (!project) throw notFound(NOT_FOUND);
  return project;
}

function checkDates(start: string | null, end: string | null) {
  if (start && end && end < start) throw fieldError('end_date', 'The end date cannot be before the start date.');
}

const snapshot = (p: repo.ProjectRow): Record<string, unknown> => ({
  name: p.name, description: p.description, status: p.status, start_date: p.start_date, end_date: p.end_date,
});

const values = (input: ProjectInput): repo.ProjectValues => ({
  name: input.name, description: input.description, status: input.status, start_date: input.start_date, end_date: input.end_date,
});

export async function createProject(ctx: Ctx, input: ProjectInput & { name: string }) {
  const orgId = orgForWrite(ctx);
  checkDates(input.start_date ?? null, input.end_date ?? null);
  const id = await repo.insertProject(ctx.tx, orgId, ctx.actor.userId, values(input));
  const created = (await repo.findProject(ctx.tx, orgId, id))!;
  await recordAudit(ctx, { entity: 'project', entityId: id, action: 'create', newValues: snapshot(created) });
  await notifyCreatedInOrg(ctx, 'project', created);
  return created;
}

export async function updateProject(ctx: Ctx, id: string, input: ProjectInput) {
  const before = await getProject(ctx, id);
  const start = input.start_date !== undefined ? input.start_date : before.start_date;
  const end = input.end_date !== undefined ? input.end_date : before.end_date;
  checkDates(start, end);
  await repo.updateProject(ctx.tx, before.organization_id, id, values(input));
  const after = (await repo.findProject(ctx.tx, before.organization_id, id))!;
  const changes = diff(snapshot(before), snapshot(after));
  if (changes.changed) {
    await recordAudit(ctx, { entity: 'project', entityId: id, action: 'update', oldValues: changes.oldValues, newValues: changes.newValues });
  }
  return after;
}

export async function deleteProject(ctx: Ctx, id: string) {
  const before = await getProject(ctx, id);
  await repo.deleteProject(ctx.tx, before.organization_id, id);
  await recordAudit(ctx, { entity: 'project', entityId: id, action: 'delete', oldValues: snapshot(before) });
}
