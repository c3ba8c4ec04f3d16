// Teams through HTTP (/api/team/teams/… and the seeds' /api/team/): CRUD, members, projects,
// the web client's quirks (phone numbers, deal ids as projects, ignored organization),
// permissions, tenancy — leads and members from another organisation are refused — and audit.
// Ids are bigint keys: JSON integers in answers (the web client parseInt()s them back), decimal
// strings in rows read with SQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { clientRequest, contractEntry, missingFields } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auditRows, createOrg, createSuperAdmin, PASSWORD, type TestOrg, type TestUser } from '../support/identity.ts';
import { expectDuplicate, expectError, expectFieldErrors, expectWireId, FOREIGN_SHAPED_ID, harness, hex, MALFORMED_IDS, sid, wire } from './helpers.ts';

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

type Team = Record<string, unknown> & {
  id: number;
  name: string;
  team_lead: { id: number; full_name: string } | null;
  members: { id: number; full_name: string }[];
  projects: { id: number; name: string }[];
};

async function createTeam(org: TestOrg, body: Record<string, unknown> = {}): Promise<Team> {
  const res = await h.call('POST', '/api/team/teams/', org.users.admin.token, { name: `Team ${hex()}`, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Team;
}

async function createProject(org: TestOrg, name = `Project ${hex()}`) {
  const res = await h.call('POST', '/api/project/', org.users.admin.token, { name });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: number; name: string };
}

const teamRow = async (id: string | number) =>
  (await h.q<{ organization_id: string; name: string; team_lead_id: string | null; contact_number: string; description: string }>(
    sql`SELECT organization_id, name, team_lead_id, contact_number, description FROM teams WHERE id = ${id}`,
  ))[0];
const memberIds = async (teamId: string | number) =>
  (await h.q<{ user_id: string }>(sql`SELECT user_id FROM team_members WHERE team_id = ${teamId} ORDER BY user_id`)).map((r) => r.user_id);
const projectIds = async (teamId: string | number) =>
  (await h.q<{ project_id: string }>(sql`SELECT project_id FROM team_projects WHERE team_id = ${teamId}`)).map((r) => r.project_id);
const sorted = <T extends string | number>(ids: T[]) => [...ids].sort();
/** Every id a team answer carries is a JSON integer. */
function expectWireIds(team: Team) {
  expectWireId(team.id, 'id');
  expectWireId(team.organization, 'organization');
  if (team.team_lead) expectWireId(team.team_lead.id, 'team_lead.id');
  for (const m of team.members) expectWireId(m.id, 'members[].id');
  for (const p of team.projects) expectWireId(p.id, 'projects[].id');
}

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
    expect(await memberIds(team.id)).toEqual([sid(a.users.sales.id)]);
    expect(await h.q(sql`SELECT 1 FROM teams WHERE name IN ('Nope team', 'V team')`)).toHaveLength(0);
    // The Supervisor manages teams.
    expect((await h.call('PATCH', `/api/team/teams/${team.id}/`, a.users.supervisor.token, { description: 'Supervised' })).statusCode).toBe(200);
  });
});

describe('POST /api/team/teams/', () => {
  it('creates a team as the web client sends it: phone quirks, deal ids as projects, organization ignored', async () => {
    const project = await createProject(a, 'Alpha rollout');
    const foreignProject = await createProject(b, 'Beta secret');
    const entry = contractEntry('teams.create');
    const res = await t.app.inject(
      clientRequest(entry, {
        token: a.users.admin.token,
        body: {
          name: 'North Stars',
          contact_number: '+977-+977-9812345678',
          team_lead_id: wire(a.users.supervisor.id),
          organization: wire(b.id),
          // Another organisation's project, an id nobody has and a deal code are ignored.
          projects: [project.id, foreignProject.id, wire(FOREIGN_SHAPED_ID), 'DLID0001'],
        },
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(missingFields(entry, body)).toEqual([]);
    expect(body).toMatchObject({
      name: 'North Stars',
      organization: wire(a.id),
      contact_number: '+977-9812345678',
      team_lead: { id: wire(a.users.supervisor.id), email: a.users.supervisor.email },
      members: [],
      member_count: 0,
      projects: [{ id: project.id, name: 'Alpha rollout' }],
    });
    expectWireIds(body);
    expect(await teamRow(body.id)).toMatchObject({ organization_id: a.id, team_lead_id: sid(a.users.supervisor.id), contact_number: '+977-9812345678' });
    expect(await projectIds(body.id)).toEqual([sid(project.id)]);
    const audit = await auditRows(t, 'team', sid(body.id));
    expect(audit.map((r) => r.action)).toEqual(['create']);
    expect(audit[0]).toMatchObject({ actor_id: sid(a.users.admin.id), organization_id: a.id });
  });

  it("stores '+977-undefined' as no number, and accepts members on create (both field names)", async () => {
    const one = await createTeam(a, { contact_number: '+977-undefined', member_ids: [a.users.sales.id, a.users.member.id] });
    expect(one.contact_number).toBe('');
    expect(sorted(one.members.map((m) => m.id))).toEqual(sorted([wire(a.users.sales.id), wire(a.users.member.id)]));
    expect(one.member_count).toBe(2);
    expect(sorted(await memberIds(one.id))).toEqual(sorted([sid(a.users.sales.id), sid(a.users.member.id)]));
    // Ids as strings are accepted too (the seeds' clients send them so).
    const two = await createTeam(a, { memberlist: [sid(a.users.lead.id)] });
    expect(await memberIds(two.id)).toEqual([sid(a.users.lead.id)]);
    const member = (two.members as Record<string, unknown>[])[0]!;
    expect(Object.keys(member).sort()).toEqual(['email', 'full_name', 'id', 'name', 'username']);
    expect(member).toMatchObject({ id: wire(a.users.lead.id), email: a.users.lead.email, full_name: 'Test User', name: 'Test User', username: a.users.lead.email });
  });

  it('refuses a team lead or members from another organisation, and inactive members', async () => {
    const before = (await h.q(sql`SELECT count(*)::int AS n FROM teams`))[0];
    expectFieldErrors(await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Cross lead', team_lead_id: b.users.supervisor.id }), 'team_lead_id');
    expectFieldErrors(await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Cross lead', team_lead_id: wire(b.users.supervisor.id) }), 'team_lead_id');
    expectFieldErrors(await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Cross lead', team_lead_id: wire(FOREIGN_SHAPED_ID) }), 'team_lead_id');
    for (const bad of ['undefined', 'abc', 1.5, -3, 0, '99999999999999999999']) {
      expectFieldErrors(await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Cross lead', team_lead_id: bad }), 'team_lead_id');
    }
    const cross = expectFieldErrors(
      await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Cross members', member_ids: [wire(a.users.sales.id), wire(b.users.sales.id)] }),
      'member_ids',
    );
    // Only the foreign member is named.
    expect(cross.member_ids).toEqual([expect.stringContaining(`"${sid(b.users.sales.id)}"`)]);
    const gone = await h.freshUser(a, 'Salesperson');
    await h.q(sql`UPDATE memberships SET is_active = false WHERE user_id = ${sid(gone.id)}`);
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
    expect(res.json().organization).toBe(wire(b.id));
    // The organisation as a JSON integer, as the web client keeps it from the login answer.
    const asInt = await h.call('POST', '/api/team/teams/', su.token, { name: `Root ${hex()}`, organization: wire(b.id) });
    expect(asInt.statusCode, asInt.body).toBe(201);
    expect((await teamRow(asInt.json().id as number))?.organization_id).toBe(b.id);
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
    expectWireIds(one);
    expect(one).toMatchObject({
      team_lead: { id: wire(a.users.lead.id), full_name: 'Test User' },
      members: [{ id: wire(a.users.sales.id) }],
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
    for (const id of [foreign.id, FOREIGN_SHAPED_ID, ...MALFORMED_IDS]) {
      expectError(await h.call('GET', `/api/team/teams/${id}/`, a.users.admin.token), 404, 'not_found');
      expectError(await h.call('PATCH', `/api/team/teams/${id}/`, a.users.admin.token, { name: 'Stolen' }), 404);
      expectError(await h.call('PUT', `/api/team/teams/${id}/`, a.users.admin.token, { name: 'Stolen' }), 404);
      expectError(await h.call('DELETE', `/api/team/teams/${id}/`, a.users.admin.token), 404);
      expectError(await h.call('POST', `/api/team/teams/${id}/members/`, a.users.admin.token, { user_ids: [a.users.sales.id] }), 404);
      expectError(await h.call('DELETE', `/api/team/teams/${id}/members/${b.users.sales.id}/`, a.users.admin.token), 404);
    }
    expect(await teamRow(foreign.id)).toMatchObject({ organization_id: b.id });
    expect(await memberIds(foreign.id)).toEqual([sid(b.users.sales.id)]);
  });

  it('updates as the web client edits (PATCH with the stored, now double-prefixed, number) and audits it', async () => {
    const p1 = await createProject(a);
    const p2 = await createProject(a);
    const team = await createTeam(a, { contact_number: '+977-9800000000', projects: [p1.id], member_ids: [a.users.sales.id] });
    const entry = contractEntry('teams.update');
    const res = await t.app.inject(
      clientRequest(entry, {
        token: a.users.admin.token,
        params: { id: String(team.id) },
        body: {
          name: `${team.name} renamed`,
          contact_number: '+977-+977-9800000000',
          team_lead_id: wire(a.users.supervisor.id),
          organization: wire(b.id),
          projects: [p2.id, wire(FOREIGN_SHAPED_ID)],
        },
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(missingFields(entry, res.json())).toEqual([]);
    expect(res.json()).toMatchObject({ name: `${team.name} renamed`, contact_number: '+977-9800000000', team_lead: { id: wire(a.users.supervisor.id) }, organization: wire(a.id) });
    expect(await teamRow(team.id)).toMatchObject({ name: `${team.name} renamed`, contact_number: '+977-9800000000', team_lead_id: sid(a.users.supervisor.id), organization_id: a.id });
    expect(await projectIds(team.id)).toEqual([sid(p2.id)]);
    // Members are not touched when the body does not name them.
    expect(await memberIds(team.id)).toEqual([sid(a.users.sales.id)]);
    const audit = await auditRows(t, 'team', sid(team.id));
    expect(audit.map((r) => r.action)).toEqual(['create', 'update']);
    expect(audit[1]!.new_values).toMatchObject({ name: `${team.name} renamed`, team_lead_id: sid(a.users.supervisor.id), project_ids: [sid(p2.id)] });
    expect(audit[1]!.new_values).not.toHaveProperty('contact_number');

    expectFieldErrors(await h.call('PATCH', `/api/team/teams/${team.id}/`, a.users.admin.token, { team_lead_id: b.users.admin.id }), 'team_lead_id');
    expect((await teamRow(team.id))?.team_lead_id).toBe(sid(a.users.supervisor.id));
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
    expect((await auditRows(t, 'team', sid(team.id))).map((r) => r.action)).toEqual(['create', 'delete']);
  });
});

describe('members', () => {
  it('replaces the member set with user_ids (what the web client means) and audits it', async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id, a.users.member.id] });
    const entry = contractEntry('teams.members.add');
    const res = await t.app.inject(
      clientRequest(entry, { token: a.users.admin.token, params: { id: String(team.id) }, body: { user_ids: [wire(a.users.member.id), wire(a.users.lead.id)] } }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(sorted((res.json() as Team).members.map((m) => m.id))).toEqual(sorted([wire(a.users.member.id), wire(a.users.lead.id)]));
    expect(sorted(await memberIds(team.id))).toEqual(sorted([sid(a.users.member.id), sid(a.users.lead.id)]));
    const audit = await auditRows(t, 'team', sid(team.id));
    expect(audit.at(-1)).toMatchObject({ action: 'members_update', new_values: { member_ids: sorted([sid(a.users.member.id), sid(a.users.lead.id)]) } });
  });

  it("adds with member_ids and mode 'add'", async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id] });
    const res = await h.call('POST', `/api/team/teams/${team.id}/members/`, a.users.admin.token, { member_ids: [a.users.member.id, a.users.member.id], mode: 'add' });
    expect(res.statusCode, res.body).toBe(200);
    expect(sorted(await memberIds(team.id))).toEqual(sorted([sid(a.users.sales.id), sid(a.users.member.id)]));
  });

  it('refuses other organisations, unknown ids and empty or missing lists without changing anything', async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id] });
    const url = `/api/team/teams/${team.id}/members/`;
    const cross = expectFieldErrors(await h.call('POST', url, a.users.admin.token, { user_ids: [wire(a.users.member.id), wire(b.users.member.id)] }), 'user_ids');
    expect(cross.user_ids).toEqual([expect.stringContaining(`"${sid(b.users.member.id)}"`)]);
    expectFieldErrors(await h.call('POST', url, a.users.admin.token, { user_ids: [wire(FOREIGN_SHAPED_ID)] }), 'user_ids');
    expectFieldErrors(await h.call('POST', url, a.users.admin.token, { user_ids: ['abc', 0] }), 'user_ids');
    expectFieldErrors(await h.call('POST', url, a.users.admin.token, { user_ids: [] }), 'user_ids');
    expectFieldErrors(await h.call('POST', url, a.users.admin.token, {}), 'user_ids');
    expectFieldErrors(await h.call('POST', url, a.users.admin.token, { user_ids: [a.users.member.id], mode: 'merge' }), 'mode');
    expect(await memberIds(team.id)).toEqual([sid(a.users.sales.id)]);
  });

  it('removes one member, and answers 404 for someone who is not a member', async () => {
    const team = await createTeam(a, { member_ids: [a.users.sales.id, a.users.member.id] });
    const res = await h.call('DELETE', `/api/team/teams/${team.id}/members/${a.users.sales.id}/`, a.users.admin.token);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as Team).members.map((m) => m.id)).toEqual([wire(a.users.member.id)]);
    expect(await memberIds(team.id)).toEqual([sid(a.users.member.id)]);
    for (const userId of [a.users.sales.id, b.users.member.id, FOREIGN_SHAPED_ID, ...MALFORMED_IDS]) {
      expectError(await h.call('DELETE', `/api/team/teams/${team.id}/members/${userId}/`, a.users.admin.token), 404);
    }
    expect(await memberIds(team.id)).toEqual([sid(a.users.member.id)]);
    expect((await auditRows(t, 'team', sid(team.id))).at(-1)).toMatchObject({ action: 'member_remove', old_values: { member_id: sid(a.users.sales.id) } });
  });
});

describe("the web client's team form with integer ids (issue 12)", () => {
  /** The login answer the web client keeps: user.organization goes back unchanged as `organization`. */
  async function loginAnswer(user: TestUser) {
    const res = await t.app.inject(clientRequest(contractEntry('auth.login'), { body: { email: user.email, password: PASSWORD } }));
    expect(res.statusCode, res.body).toBe(200);
    return res.json().user as { id: number; organization: number };
  }
  /** The '<id>-<name>' option values the team form builds from GET /api/auth/users/?page_size=1000. */
  async function userOptions(token: string) {
    const res = await t.app.inject(clientRequest(contractEntry('auth.users.list'), { token, query: { page_size: '1000' } }));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const users = (Array.isArray(body) ? body : body.results) as { id: number; email: string; first_name: string; last_name: string }[];
    return new Map(users.map((u) => [u.email, `${u.id}-${u.first_name} ${u.last_name}`]));
  }
  // What the form does with an option value: parseInt() of the part before the first '-'.
  const fromOption = (value: string) => parseInt(value.split('-')[0]!);

  it('creates the team with the parseInt()ed lead, then sets the parseInt()ed members, as the form sends them', async () => {
    const me = await loginAnswer(a.users.admin);
    expect(me.organization).toBe(wire(a.id));
    const options = await userOptions(a.users.admin.token);
    const lead = fromOption(options.get(a.users.supervisor.email)!);
    const members = [a.users.member, a.users.sales].map((u) => fromOption(options.get(u.email)!));
    // With integer ids the parsed value is the user's id itself (a UUID gave its leading digits or NaN).
    expect(lead).toBe(wire(a.users.supervisor.id));
    expect(members).toEqual([wire(a.users.member.id), wire(a.users.sales.id)]);
    const project = await createProject(a);

    const name = `Form Team ${hex().replace(/\d/g, 'x')}`;
    const entry = contractEntry('teams.create');
    const created = await t.app.inject(
      clientRequest(entry, {
        token: a.users.admin.token,
        body: { name, contact_number: '+977-9812345678', team_lead_id: lead, organization: me.organization, projects: [parseInt(project.id.toString())] },
      }),
    );
    expect(created.statusCode, created.body).toBe(201);
    const team = created.json() as Team;
    expect(missingFields(entry, team)).toEqual([]);
    expectWireIds(team);
    expect(team).toMatchObject({ name, organization: wire(a.id), team_lead: { id: lead }, projects: [{ id: project.id }] });

    const add = contractEntry('teams.members.add');
    const set = await t.app.inject(clientRequest(add, { token: a.users.admin.token, params: { id: String(team.id) }, body: { user_ids: members } }));
    expect(set.statusCode, set.body).toBe(200);
    expect(sorted((set.json() as Team).members.map((m) => m.id))).toEqual(sorted(members));

    expect(await teamRow(team.id)).toMatchObject({ organization_id: a.id, team_lead_id: sid(a.users.supervisor.id), contact_number: '+977-9812345678' });
    expect(sorted(await memberIds(team.id))).toEqual(sorted([sid(a.users.member.id), sid(a.users.sales.id)]));
    expect(await projectIds(team.id)).toEqual([sid(project.id)]);
  });

  it('edits a team found with t.id === parseInt(String(id)) and sends its pre-selected ids back unchanged', async () => {
    const me = await loginAnswer(a.users.admin);
    const p1 = await createProject(a);
    const p2 = await createProject(a);
    const tag = hex().replace(/\d/g, 'y');
    const original = await createTeam(a, {
      name: `Edit Team ${tag}`,
      contact_number: '+977-9800000001',
      team_lead_id: wire(a.users.lead.id),
      member_ids: [wire(a.users.sales.id), wire(a.users.member.id)],
      projects: [p1.id],
    });

    // /org-admin/manage-teams: the list, then Edit on the row.
    const list = await t.app.inject(clientRequest(contractEntry('teams.list'), { token: a.users.admin.token, query: { page: '1', limit: '10', search: tag } }));
    expect(list.statusCode, list.body).toBe(200);
    expect(missingFields(contractEntry('teams.list'), list.json())).toEqual([]);
    const rows = list.json().results as Team[];
    const clicked = String(rows[0]!.id);
    const found = rows.find((x) => x.id === parseInt(String(clicked)));
    expect(found, 'Edit finds the team').toBeDefined();
    expect(found!.id).toBe(original.id);

    // The form pre-selects '<id>-<name>' for the lead and members and id.toString() for projects,
    // and sends parseInt() of each back.
    const leadOption = `${found!.team_lead!.id}-${found!.team_lead!.full_name}`;
    const memberOptions = found!.members.map((m) => `${m.id}-${m.full_name}`);
    const projectOptions = [...found!.projects.map((p) => p.id.toString()), p2.id.toString()];
    const entry = contractEntry('teams.update');
    const res = await t.app.inject(
      clientRequest(entry, {
        token: a.users.admin.token,
        params: { id: clicked },
        body: {
          name: `${found!.name} edited`,
          contact_number: `+977-${found!.contact_number}`,
          team_lead_id: fromOption(leadOption),
          organization: me.organization,
          projects: projectOptions.map((v) => parseInt(v)),
        },
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(missingFields(entry, res.json())).toEqual([]);
    const members = await t.app.inject(
      clientRequest(contractEntry('teams.members.add'), {
        token: a.users.admin.token,
        params: { id: clicked },
        body: { user_ids: [...memberOptions.map(fromOption), wire(a.users.supervisor.id)] },
      }),
    );
    expect(members.statusCode, members.body).toBe(200);

    // Nothing was lost in the round trip: same lead, same members plus the new one, both projects.
    expect(await teamRow(original.id)).toMatchObject({ name: `Edit Team ${tag} edited`, team_lead_id: sid(a.users.lead.id), contact_number: '+977-9800000001' });
    expect(sorted(await memberIds(original.id))).toEqual(sorted([sid(a.users.sales.id), sid(a.users.member.id), sid(a.users.supervisor.id)]));
    expect(sorted(await projectIds(original.id))).toEqual(sorted([sid(p1.id), sid(p2.id)]));
    const after = (await h.call('GET', `/api/team/teams/${clicked}/`, a.users.admin.token)).json() as Team;
    expectWireIds(after);
    expect(sorted(after.projects.map((p) => p.id))).toEqual(sorted([p1.id, p2.id]));
  });

  it("never links another organisation's integer ids: lead, members and projects are refused or ignored", async () => {
    const foreignProject = await createProject(b);
    const team = await createTeam(a, { member_ids: [wire(a.users.sales.id)] });
    const url = `/api/team/teams/${team.id}/`;
    expectFieldErrors(await h.call('PATCH', url, a.users.admin.token, { team_lead_id: wire(b.users.supervisor.id) }), 'team_lead_id');
    expectFieldErrors(await h.call('POST', `${url}members/`, a.users.admin.token, { user_ids: [wire(b.users.sales.id)] }), 'user_ids');
    const res = await h.call('PATCH', url, a.users.admin.token, { projects: [foreignProject.id] });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as Team).projects).toEqual([]);
    expect(await projectIds(team.id)).toEqual([]);
    expect(await memberIds(team.id)).toEqual([sid(a.users.sales.id)]);
    expect((await teamRow(team.id))?.team_lead_id).toBeNull();
  });
});
