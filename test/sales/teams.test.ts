// Teams through HTTP (/api/team/teams/… and the seeds' /api/team/): CRUD, members, projects,
// the web client's quirks (phone numbers, deal ids as projects, ignored organization),
// permissions, tenancy — leads and members from another organisation are refused — and audit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/database.ts';
import { clientRequest, contractEntry, missingFields } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auditRows, createOrg, createSuperAdmin, type TestOrg, type TestUser } from '../support/identity.ts';
import { expectDuplicate, expectError, expectFieldErrors, FOREIGN_SHAPED_ID, harness, hex } from './helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let su: TestUser;
let h: ReturnType<typeof harness>;

beforeAll(async () => {
  t = await createTestApp();
  h = harness(t);
  a = await createOrg(t, 'Teams Alpha');
  b = await createOrg(t, 'Teams Beta');
  su = await createSuperAdmin(t);
});
afterAll(() => t.close());

type Team = Record<string, unknown> & { id: string; name: string; members: { id: string }[]; projects: { id: string; name: string }[] };

async function createTeam(org: TestOrg, body: Record<string, unknown> = {}): Promise<Team> {
  const res = await h.call('POST', '/api/team/teams/', org.users.admin.token, { name: `Team ${hex()}`, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Team;
}

async function createProject(org: TestOrg, name = `Project ${hex()}`) {
  const res = await h.call('POST', '/api/project/', org.users.admin.token, { name });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; name: string };
}

const teamRow = async (id: string) =>
  (await h.q<{ organization_id: string; name: string; team_lead_id: string | null; contact_number: string; description: string }>(
    sql`SELECT organization_id, name, team_lead_id, contact_number, description FROM teams WHERE id = ${id}`,
  ))[0];
const memberIds = async (teamId: string) =>
  (await h.q<{ user_id: string }>(sql`SELECT user_id FROM team_members WHERE team_id = ${teamId} ORDER BY user_id`)).map((r) => r.user_id);
const projectIds = async (teamId: string) =>
  (await h.q<{ project_id: string }>(sql`SELECT project_id FROM team_projects WHERE team_id = ${teamId}`)).map((r) => r.project_id);
const sorted = (ids: string[]) => [...ids].sort();

describe('authentication and permissions', () => {
  it('answers 401 without a token on every route', async () => {
    const team = await createTeam(a);
    for (const url of ['/api/team/teams/', '/api/team/']) {
      expectError(await h.call('GET', url), 401, 'not_authenticated');
      expectError(await h.call('POST', url, undefined, { name: 'X' }), 401);
    }
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
      expectError(await h.call(method, `/api/team/teams/${team.id}/`, undefined, method === 'PUT' || method === 'PATCH' ? { name: 'Y' } : undefined), 401);
    }
    expectError(await h.call('POST', `/api/team/teams/${team.id}/members/`, undefined, { user_ids: [a.users.sales.id] }), 401);
    expectError(await h.call('DELETE', `/api/team/teams/${team.id}/members/${a.users.sales.id}/`), 401);
  });

  it('lets teams:view roles read and only teams:manage roles write', async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id] });
    // The Verifier has neither permission.
    expectError(await h.call('GET', '/api/team/teams/', a.users.verifier.token), 403, 'permission_denied');
    expectError(await h.call('POST', '/api/team/teams/', a.users.verifier.token, { name: 'V team' }), 403);
    // Salesperson and Team Member read but do not manage.
    for (const who of [a.users.sales, a.users.member, a.users.lead]) {
      expect((await h.call('GET', `/api/team/teams/${team.id}/`, who.token)).statusCode).toBe(200);
      expectError(await h.call('POST', '/api/team/', who.token, { name: 'Nope team' }), 403);
      expectError(await h.call('PATCH', `/api/team/teams/${team.id}/`, who.token, { name: 'Nope team' }), 403);
      expectError(await h.call('DELETE', `/api/team/teams/${team.id}/`, who.token), 403);
      expectError(await h.call('POST', `/api/team/teams/${team.id}/members/`, who.token, { user_ids: [who.id] }), 403);
      expectError(await h.call('DELETE', `/api/team/teams/${team.id}/members/${a.users.sales.id}/`, who.token), 403);
    }
    expect(await memberIds(team.id)).toEqual([a.users.sales.id]);
    expect(await h.q(sql`SELECT 1 FROM teams WHERE name IN ('Nope team', 'V team')`)).toHaveLength(0);
    // The Supervisor manages teams.
    expect((await h.call('PATCH', `/api/team/teams/${team.id}/`, a.users.supervisor.token, { description: 'Supervised' })).statusCode).toBe(200);
  });
});

describe('POST /api/team/teams/', () => {
  it('creates a team as the web client sends it: phone quirks, deal ids as projects, organization ignored', async () => {
    const project = await createProject(a, 'Alpha rollout');
    const entry = contractEntry('teams.create');
    const res = await t.app.inject(
      clientRequest(entry, {
        token: a.users.admin.token,
        body: {
          name: 'North Stars',
          contact_number: '+977-+977-9812345678',
          team_lead_id: a.users.supervisor.id,
          organization: b.id,
          projects: [project.id, FOREIGN_SHAPED_ID, 17, 'DLID0001'],
        },
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(missingFields(entry, body)).toEqual([]);
    expect(body).toMatchObject({
      name: 'North Stars',
      organization: a.id,
      contact_number: '+977-9812345678',
      team_lead: { id: a.users.supervisor.id, email: a.users.supervisor.email },
      members: [],
      member_count: 0,
      projects: [{ id: project.id, name: 'Alpha rollout' }],
    });
    expect(await teamRow(body.id)).toMatchObject({ organization_id: a.id, team_lead_id: a.users.supervisor.id, contact_number: '+977-9812345678' });
    expect(await projectIds(body.id)).toEqual([project.id]);
    const audit = await auditRows(t, 'team', body.id);
    expect(audit.map((r) => r.action)).toEqual(['create']);
    expect(audit[0]).toMatchObject({ actor_id: a.users.admin.id, organization_id: a.id });
  });

  it("stores '+977-undefined' as no number, and accepts members on create (both field names)", async () => {
    const one = await createTeam(a, { contact_number: '+977-undefined', member_ids: [a.users.sales.id, a.users.member.id] });
    expect(one.contact_number).toBe('');
    expect(sorted(one.members.map((m) => m.id))).toEqual(sorted([a.users.sales.id, a.users.member.id]));
    expect(one.member_count).toBe(2);
    expect(sorted(await memberIds(one.id))).toEqual(sorted([a.users.sales.id, a.users.member.id]));
    const two = await createTeam(a, { memberlist: [a.users.lead.id] });
    expect(await memberIds(two.id)).toEqual([a.users.lead.id]);
    const member = (two.members as Record<string, unknown>[])[0]!;
    expect(Object.keys(member).sort()).toEqual(['email', 'full_name', 'id', 'name', 'username']);
    expect(member).toMatchObject({ id: a.users.lead.id, email: a.users.lead.email, full_name: 'Test User', name: 'Test User', username: a.users.lead.email });
  });

  it('refuses a team lead or members from another organisation, and inactive members', async () => {
    const before = (await h.q(sql`SELECT count(*)::int AS n FROM teams`))[0];
    expectFieldErrors(await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Cross lead', team_lead_id: b.users.supervisor.id }), 'team_lead_id');
    expectFieldErrors(await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Cross lead', team_lead_id: 'undefined' }), 'team_lead_id');
    const cross = expectFieldErrors(
      await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Cross members', member_ids: [a.users.sales.id, b.users.sales.id] }),
      'member_ids',
    );
    expect(JSON.stringify(cross.member_ids)).toContain(b.users.sales.id);
    expect(JSON.stringify(cross.member_ids)).not.toContain(a.users.sales.id);
    const gone = await h.freshUser(a, 'Salesperson');
    await h.q(sql`UPDATE memberships SET is_active = false WHERE user_id = ${gone.id}`);
    expectFieldErrors(await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Inactive', memberlist: [gone.id] }), 'memberlist');
    expectFieldErrors(await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Inactive', team_lead_id: gone.id }), 'team_lead_id');
    expect((await h.q(sql`SELECT count(*)::int AS n FROM teams`))[0]).toEqual(before);
  });

  it('answers 400 with field errors on bad input and 409 on a duplicate name (any case)', async () => {
    const token = a.users.admin.token;
    const existing = await createTeam(a, { name: `Unique ${hex()}` });
    expectDuplicate(await h.call('POST', '/api/team/teams/', token, { name: existing.name.toUpperCase() }), 'name');
    expectFieldErrors(await h.call('POST', '/api/team/teams/', token, {}), 'name');
    expectFieldErrors(await h.call('POST', '/api/team/teams/', token, { name: '  ' }), 'name');
    expectFieldErrors(await h.call('POST', '/api/team/teams/', token, { name: 'Phones', contact_number: 'call me maybe' }), 'contact_number');
    expectFieldErrors(await h.call('POST', '/api/team/teams/', token, { name: 'Types', member_ids: 'abc', projects: {} }), 'member_ids', 'projects');
    // Same name in another organisation is fine.
    const res = await h.call('POST', '/api/team/', b.users.admin.token, { name: existing.name });
    expect(res.statusCode).toBe(201);
    expect((await teamRow(res.json().id as string))?.organization_id).toBe(b.id);
  });

  it('lets a Super Admin create in a named organisation only', async () => {
    expectFieldErrors(await h.call('POST', '/api/team/teams/', su.token, { name: 'Rootless' }), 'organization');
    const res = await h.call('POST', '/api/team/teams/', su.token, { name: `Root ${hex()}`, organization: b.id, member_ids: [b.users.sales.id] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().organization).toBe(b.id);
    expectFieldErrors(await h.call('POST', '/api/team/teams/', su.token, { name: `Root ${hex()}`, organization: b.id, member_ids: [a.users.sales.id] }), 'member_ids');
  });
});

describe('GET /api/team/teams/ and /api/team/', () => {
  it('lists the organisation teams with members and projects, searchable and paginated', async () => {
    const tag = hex();
    const project = await createProject(a);
    const t1 = await createTeam(a, { name: `Alpha ${tag} one`, member_ids: [a.users.sales.id], projects: [project.id], team_lead_id: a.users.lead.id });
    await createTeam(a, { name: `Alpha ${tag} two` });
    const foreign = await createTeam(b, { name: `Alpha ${tag} foreign` });

    const entry = contractEntry('teams.list');
    const res = await t.app.inject(clientRequest(entry, { token: a.users.member.token, query: { page: '1', limit: '10', search: tag } }));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(missingFields(entry, body)).toEqual([]);
    expect(body.count).toBe(2);
    const ids = body.results.map((x: Team) => x.id);
    expect(ids).not.toContain(foreign.id);
    const one = body.results.find((x: Team) => x.id === t1.id);
    expect(one).toMatchObject({
      team_lead: { id: a.users.lead.id, full_name: 'Test User' },
      members: [{ id: a.users.sales.id }],
      member_count: 1,
      projects: [{ id: project.id, name: project.name }],
    });

    const seeds = (await h.call('GET', `/api/team/?search=${tag}&ordering=name&page_size=1&page=2`, a.users.admin.token)).json();
    expect(seeds).toMatchObject({ count: 2, next: null });
    expect(seeds.results!.map((x) => x.name)).toEqual([`Alpha ${tag} two`]);
    expect((await h.call('GET', `/api/team/teams/?organization=${b.id}`, a.users.admin.token)).json().count).toBe(0);
    expect((await h.call('GET', `/api/team/teams/?organization=${b.id}&search=${tag}`, su.token)).json().results!.map((x) => x.id)).toEqual([foreign.id]);
  });
});

describe('GET/PUT/PATCH/DELETE /api/team/teams/{id}/', () => {
  it('answers 404 for another organisation and for malformed ids', async () => {
    const foreign = await createTeam(b, { member_ids: [b.users.sales.id] });
    for (const id of [foreign.id, 'undefined', '3', FOREIGN_SHAPED_ID]) {
      expectError(await h.call('GET', `/api/team/teams/${id}/`, a.users.admin.token), 404, 'not_found');
      expectError(await h.call('PATCH', `/api/team/teams/${id}/`, a.users.admin.token, { name: 'Stolen' }), 404);
      expectError(await h.call('PUT', `/api/team/teams/${id}/`, a.users.admin.token, { name: 'Stolen' }), 404);
      expectError(await h.call('DELETE', `/api/team/teams/${id}/`, a.users.admin.token), 404);
      expectError(await h.call('POST', `/api/team/teams/${id}/members/`, a.users.admin.token, { user_ids: [a.users.sales.id] }), 404);
      expectError(await h.call('DELETE', `/api/team/teams/${id}/members/${b.users.sales.id}/`, a.users.admin.token), 404);
    }
    expect(await teamRow(foreign.id)).toMatchObject({ organization_id: b.id });
    expect(await memberIds(foreign.id)).toEqual([b.users.sales.id]);
  });

  it('updates as the web client edits (PATCH with the stored, now double-prefixed, number) and audits it', async () => {
    const p1 = await createProject(a);
    const p2 = await createProject(a);
    const team = await createTeam(a, { contact_number: '+977-9800000000', projects: [p1.id], member_ids: [a.users.sales.id] });
    const entry = contractEntry('teams.update');
    const res = await t.app.inject(
      clientRequest(entry, {
        token: a.users.admin.token,
        params: { id: team.id },
        body: { name: `${team.name} renamed`, contact_number: '+977-+977-9800000000', team_lead_id: a.users.supervisor.id, organization: '1', projects: [p2.id, FOREIGN_SHAPED_ID] },
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(missingFields(entry, res.json())).toEqual([]);
    expect(res.json()).toMatchObject({ name: `${team.name} renamed`, contact_number: '+977-9800000000', team_lead: { id: a.users.supervisor.id } });
    expect(await teamRow(team.id)).toMatchObject({ name: `${team.name} renamed`, contact_number: '+977-9800000000', team_lead_id: a.users.supervisor.id, organization_id: a.id });
    expect(await projectIds(team.id)).toEqual([p2.id]);
    // Members are not touched when the body does not name them.
    expect(await memberIds(team.id)).toEqual([a.users.sales.id]);
    const audit = await auditRows(t, 'team', team.id);
    expect(audit.map((r) => r.action)).toEqual(['create', 'update']);
    expect(audit[1]!.new_values).toMatchObject({ name: `${team.name} renamed`, team_lead_id: a.users.supervisor.id, project_ids: [p2.id] });
    expect(audit[1]!.new_values).not.toHaveProperty('contact_number');

    expectFieldErrors(await h.call('PATCH', `/api/team/teams/${team.id}/`, a.users.admin.token, { team_lead_id: b.users.admin.id }), 'team_lead_id');
    expect((await teamRow(team.id))?.team_lead_id).toBe(a.users.supervisor.id);
    const cleared = await h.call('PATCH', `/api/team/teams/${team.id}/`, a.users.admin.token, { team_lead_id: null, member_ids: [] });
    expect(cleared.json()).toMatchObject({ team_lead: null, members: [], member_count: 0 });
    expect(await memberIds(team.id)).toEqual([]);
  });

  it('requires the name on PUT and keeps names unique on rename', async () => {
    const one = await createTeam(a);
    const two = await createTeam(a);
    expectFieldErrors(await h.call('PUT', `/api/team/teams/${one.id}/`, a.users.admin.token, { description: 'x' }), 'name');
    expectDuplicate(await h.call('PATCH', `/api/team/teams/${one.id}/`, a.users.admin.token, { name: two.name.toLowerCase() }), 'name');
    const same = await h.call('PUT', `/api/team/teams/${one.id}/`, a.users.admin.token, { name: one.name.toUpperCase(), description: 'Own name, other case' });
    expect(same.statusCode).toBe(200);
    expect(await teamRow(one.id)).toMatchObject({ name: one.name.toUpperCase(), description: 'Own name, other case' });
  });

  it('deletes a team with its memberships and audits it', async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id] });
    const res = await h.call('DELETE', `/api/team/teams/${team.id}/`, a.users.admin.token);
    expect(res.statusCode).toBe(204);
    expect(await teamRow(team.id)).toBeUndefined();
    expect(await memberIds(team.id)).toEqual([]);
    expectError(await h.call('GET', `/api/team/teams/${team.id}/`, a.users.admin.token), 404);
    expect((await auditRows(t, 'team', team.id)).map((r) => r.action)).toEqual(['create', 'delete']);
  });
});

describe('members', () => {
  it('replaces the member set with user_ids (what the web client means) and audits it', async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id, a.users.member.id] });
    const entry = contractEntry('teams.members.add');
    const res = await t.app.inject(clientRequest(entry, { token: a.users.admin.token, params: { id: team.id }, body: { user_ids: [a.users.member.id, a.users.lead.id] } }));
    expect(res.statusCode, res.body).toBe(200);
    expect(sorted((res.json() as Team).members.map((m) => m.id))).toEqual(sorted([a.users.member.id, a.users.lead.id]));
    expect(sorted(await memberIds(team.id))).toEqual(sorted([a.users.member.id, a.users.lead.id]));
    const audit = await auditRows(t, 'team', team.id);
    expect(audit.at(-1)).toMatchObject({ action: 'members_update', new_values: { member_ids: sorted([a.users.member.id, a.users.lead.id]) } });
  });

  it("adds with member_ids and mode 'add'", async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id] });
    const res = await h.call('POST', `/api/team/teams/${team.id}/members/`, a.users.admin.token, { member_ids: [a.users.member.id, a.users.member.id], mode: 'add' });
    expect(res.statusCode, res.body).toBe(200);
    expect(sorted(await memberIds(team.id))).toEqual(sorted([a.users.sales.id, a.users.member.id]));
  });

  it('refuses other organisations, unknown ids and empty or missing lists without changing anything', async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id] });
    const url = `/api/team/teams/${team.id}/members/`;
    const cross = expectFieldErrors(await h.call('POST', url, a.users.admin.token, { user_ids: [a.users.member.id, b.users.member.id] }), 'user_ids');
    expect(JSON.stringify(cross)).toContain(b.users.member.id);
    expectFieldErrors(await h.call('POST', url, a.users.admin.token, { user_ids: ['42'] }), 'user_ids');
    expectFieldErrors(await h.call('POST', url, a.users.admin.token, { user_ids: [] }), 'user_ids');
    expectFieldErrors(await h.call('POST', url, a.users.admin.token, {}), 'user_ids');
    expectFieldErrors(await h.call('POST', url, a.users.admin.token, { user_ids: [a.users.member.id], mode: 'merge' }), 'mode');
    expect(await memberIds(team.id)).toEqual([a.users.sales.id]);
  });

  it('removes one member, and answers 404 for someone who is not a member', async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id, a.users.member.id] });
    const res = await h.call('DELETE', `/api/team/teams/${team.id}/members/${a.users.sales.id}/`, a.users.admin.token);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as Team).members.map((m) => m.id)).toEqual([a.users.member.id]);
    expect(await memberIds(team.id)).toEqual([a.users.member.id]);
    expectError(await h.call('DELETE', `/api/team/teams/${team.id}/members/${a.users.sales.id}/`, a.users.admin.token), 404);
    expectError(await h.call('DELETE', `/api/team/teams/${team.id}/members/not-a-user/`, a.users.admin.token), 404);
    expect((await auditRows(t, 'team', team.id)).at(-1)).toMatchObject({ action: 'member_remove', old_values: { member_id: a.users.sales.id } });
  });
});
