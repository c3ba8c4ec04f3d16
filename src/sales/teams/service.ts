// Teams of an organisation: list and read (members and projects fetched per page, not per
// team), create, update, delete, and member management. Leads and members must be active
// users of the same organisation — the original accepted any organisation's users.
import type { SQL } from 'drizzle-orm';
import { pgConstraint, pgErrorCode } from '../../core/db/errors.ts';
import { sql } from '../../core/db/database.ts';
import { duplicate, fieldError, notFound, ValidationError } from '../../core/http/errors.ts';
import { isId } from '../../core/http/fields.ts';
import { diff, recordAudit } from '../../core/audit/recorder.ts';
import { containsPattern, orgForWrite, type Ctx } from '../../core/http/org-scope.ts';
import { normaliseContactNumber } from '../../core/users/service.ts';
import * as repo from './repo.ts';
import { notifyCreatedInOrg } from '../../core/notifications/triggers.ts';
import type { TeamInput, TeamListFilters } from './schemas.ts';

const ORDERINGS: Record<string, SQL> = {
  name: sql`lower(t.name)`,
  '-name': sql`lower(t.name) DESC`,
  created_at: sql`t.created_at`,
  '-created_at': sql`t.created_at DESC`,
};

const NOT_FOUND = 'Team not found.';
const DUPLICATE_NAME = 'A team with this name already exists.';
const PHONE_RE = /^(\+?\d[\d\s()-]{5,30})?$/;

export interface TeamView {
  team: repo.TeamRow;
  members: repo.MemberRow[];
  projects: repo.ProjectRef[];
}

/** Teams with their members and projects: two queries for the whole set. */
async function withChildren(ctx: Ctx, orgId: string, teams: repo.TeamRow[]): Promise<TeamView[]> {
  const ids = teams.map((t) => t.id);
  const members = await repo.membersOf(ctx.tx, orgId, ids);
  const projects = await repo.projectsOf(ctx.tx, orgId, ids);
  return teams.map((team) => ({
    team,
    members: members.filter((m) => m.team_id === team.id),
    projects: projects.filter((p) => p.team_id === team.id),
  }));
}

export async function listTeams(ctx: Ctx, f: TeamListFilters, page: { limit: number; offset: number }) {
  if (!ctx.orgId) return { count: 0, teams: [] as TeamView[] };
  const conditions: SQL[] = [];
  const term = f.search?.trim();
  if (term) conditions.push(sql`(t.name ILIKE ${containsPattern(term)} OR t.description ILIKE ${containsPattern(term)})`);
  const result = await repo.listTeams(ctx.tx, { orgId: ctx.orgId, conditions, ordering: ORDERINGS[f.ordering ?? ''] ?? ORDERINGS['-created_at']!, ...page });
  return { count: result.count, teams: await withChildren(ctx, ctx.orgId, result.rows) };
}

async function findTeam(ctx: Ctx, id: string): Promise<repo.TeamRow> {
  const team = ctx.orgId && isId(id) ? await repo.findTeam(ctx.tx, ctx.orgId, id) : undefined;
  if (!team) throw notFound(NOT_FOUND);
  return team;
}

export async function getTeam(ctx: Ctx, id: string): Promise<TeamView> {
  const team = await findTeam(ctx, id);
  return (await withChildren(ctx, team.organization_id, [team]))[0]!;
}

/** Every id must be an active member of the organisation; otherwise nothing is changed. */
async function checkMembers(ctx: Ctx, orgId: string, field: string, ids: string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  const active = await repo.activeMemberIds(ctx.tx, orgId, unique.filter(isId));
  const invalid = unique.filter((id) => !active.has(id));
  if (invalid.length) {
    throw new ValidationError({ [field]: invalid.map((id) => `"${id}" is not an active user of this organisation.`) });
  }
  return unique;
}

async function checkLead(ctx: Ctx, orgId: string, ref: string | null | undefined): Promise<string | null | undefined> {
  if (ref === undefined) return undefined;
  if (ref === null || ref === '') return null;
  const active = isId(ref) ? await repo.activeMemberIds(ctx.tx, orgId, [ref]) : new Set<string>();
  if (!active.has(ref)) throw fieldError('team_lead_id', 'Select an active user of this organisation.');
  return ref;
}

function checkContact(raw: string | undefined): string | undefined {
  const value = normaliseContactNumber(raw);
  if (value !== undefined && !PHONE_RE.test(value)) throw fieldError('contact_number', 'Enter a valid phone number.');
  return value;
}

async function checkName(ctx: Ctx, orgId: string, name: string | undefined, exceptId?: string) {
  if (name !== undefined && (await repo.nameTaken(ctx.tx, orgId, name, exceptId))) throw duplicate('name', DUPLICATE_NAME);
}

/** Only the organisation's projects are linked; other ids (the web client sends deal ids) are ignored. */
async function projectIds(ctx: Ctx, orgId: string, refs: (string | number)[] | undefined): Promise<string[] | undefined> {
  if (refs === undefined) return undefined;
  return repo.projectIdsOf(ctx.tx, orgId, [...new Set(refs.map(String).filter(isId))]);
}

async function uniqueName<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'teams_org_name_key') throw duplicate('name', DUPLICATE_NAME);
    throw err;
  }
}

function snapshot(v: TeamView): Record<string, unknown> {
  return {
    name: v.team.name,
    description: v.team.description,
    contact_number: v.team.contact_number,
    team_lead_id: v.team.team_lead_id,
    member_ids: v.members.map((m) => m.id).sort(),
    project_ids: v.projects.map((p) => p.id).sort(),
  };
}

/** Validates a create/update body; everything is checked before anything is written. */
async function prepare(ctx: Ctx, orgId: string, input: TeamInput, exceptId?: string) {
  await checkName(ctx, orgId, input.name, exceptId);
  const memberField = input.member_ids !== undefined ? 'member_ids' : 'memberlist';
  const memberRefs = input.member_ids ?? input.memberlist;
  return {
    values: {
      name: input.name,
      description: input.description,
      contact_number: checkContact(input.contact_number),
      team_lead_id: await checkLead(ctx, orgId, input.team_lead_id),
    } satisfies repo.TeamValues,
    members: memberRefs === undefined ? undefined : await checkMembers(ctx, orgId, memberField, memberRefs),
    projects: await projectIds(ctx, orgId, input.projects),
  };
}

export async function createTeam(ctx: Ctx, input: TeamInput & { name: string }): Promise<TeamView> {
  const orgId = orgForWrite(ctx);
  const p = await prepare(ctx, orgId, input);
  const id = await uniqueName(() => repo.insertTeam(ctx.tx, orgId, ctx.actor.userId, p.values));
  if (p.members) await repo.addMembers(ctx.tx, orgId, id, p.members);
  if (p.projects) await repo.replaceProjects(ctx.tx, orgId, id, p.projects);
  const created = await getTeam(ctx, id);
  await recordAudit(ctx, { entity: 'team', entityId: id, action: 'create', newValues: snapshot(created) });
  await notifyCreatedInOrg(ctx, 'team', created.team);
  return created;
}

export async function updateTeam(ctx: Ctx, id: string, input: TeamInput): Promise<TeamView> {
  const before = await getTeam(ctx, id);
  const orgId = before.team.organization_id;
  const p = await prepare(ctx, orgId, input, id);
  await uniqueName(() => repo.updateTeam(ctx.tx, orgId, id, p.values));
  if (p.members) await repo.replaceMembers(ctx.tx, orgId, id, p.members);
  if (p.projects) await repo.replaceProjects(ctx.tx, orgId, id, p.projects);
  const after = await getTeam(ctx, id);
  const changes = diff(snapshot(before), snapshot(after));
  if (changes.changed) await recordAudit(ctx, { entity: 'team', entityId: id, action: 'update', oldValues: changes.oldValues, newValues: changes.newValues });
  return after;
}

export async function deleteTeam(ctx: Ctx, id: string): Promise<void> {
  const before = await getTeam(ctx, id);
  await repo.deleteTeam(ctx.tx, before.team.organization_id, id);
  await recordAudit(ctx, { entity: 'team', entityId: id, action: 'delete', oldValues: snapshot(before) });
}

/** `replace` makes the member set exactly `ids` (what the web client means); `add` keeps the others. */
export async function setMembers(ctx: Ctx, id: string, field: string, ids: string[], mode: 'replace' | 'add'): Promise<TeamView> {
  const before = await getTeam(ctx, id);
  const orgId = before.team.organization_id;
  if (!ids.length) throw fieldError(field, 'This list may not be empty.');
  const valid = await checkMembers(ctx, orgId, field, ids);
  if (mode === 'add') await repo.addMembers(ctx.tx, orgId, id, valid);
  else await repo.replaceMembers(ctx.tx, orgId, id, valid);
  const after = await getTeam(ctx, id);
  const changes = diff({ member_ids: snapshot(before).member_ids }, { member_ids: snapshot(after).member_ids });
  if (changes.changed) await recordAudit(ctx, { entity: 'team', entityId: id, action: 'members_update', oldValues: changes.oldValues, newValues: changes.newValues });
  return after;
}

export async function removeMember(ctx: Ctx, id: string, userId: string): Promise<TeamView> {
  const team = await findTeam(ctx, id);
  const removed = isId(userId) && (await repo.removeMember(ctx.tx, team.organization_id, id, userId));
  if (!removed) throw notFound('User is not a member of this team.');
  await recordAudit(ctx, { entity: 'team', entityId: id, action: 'member_remove', oldValues: { member_id: userId } });
  return getTeam(ctx, id);
}
