// Projects through HTTP on both path families (/api/project/ and /api/project/projects/):
// CRUD, validation, permissions, tenancy and the audit trail, checked in the database too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { contractEntry, clientRequest, missingFields } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auditRows, createOrg, createSuperAdmin, type TestOrg, type TestUser } from '../support/identity.ts';
import { expectError, expectFieldErrors, expectWireId, FOREIGN_SHAPED_ID, harness, hex, MALFORMED_IDS, sid, wire } from './helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let su: TestUser;
let h: ReturnType<typeof harness>;

beforeAll(async () => {
  t = await createTestApp();
  h = harness(t);
  a = await createOrg(t, 'Projects Alpha');
  b = await createOrg(t, 'Projects Beta');
  su = await createSuperAdmin(t);
});
afterAll(() => t.close());

const BASES = ['/api/project', '/api/project/projects'] as const;

async function createProject(org: TestOrg, body: Record<string, unknown> = {}) {
  const res = await h.call('POST', '/api/project/', org.users.admin.token, { name: `Project ${hex()}`, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Record<string, unknown> & { id: number; name: string };
}

async function projectRow(id: string | number) {
  const [row] = await h.q<{ organization_id: string; name: string; status: string; start_date: string | null; end_date: string | null; created_by: string }>(
    sql`SELECT organization_id, name, status, start_date::text AS start_date, end_date::text AS end_date, created_by FROM projects WHERE id = ${id}`,
  );
  return row;
}

describe('authentication and permissions', () => {
  it('answers 401 without a token on every route', async () => {
    const p = await createProject(a);
    for (const base of BASES) {
      expectError(await h.call('GET', `${base}/`), 401, 'not_authenticated');
      expectError(await h.call('POST', `${base}/`, undefined, { name: 'X' }), 401);
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        expectError(await h.call(method, `${base}/${p.id}/`, undefined, method === 'PUT' || method === 'PATCH' ? { name: 'Y' } : undefined), 401);
      }
    }
    expect((await projectRow(p.id))?.name).toBe(p.name);
  });

  it('answers 403 to roles without projects:view or projects:manage', async () => {
    const p = await createProject(a);
    // The Verifier has no project permission at all.
    expectError(await h.call('GET', '/api/project/', a.users.verifier.token), 403, 'permission_denied');
    expectError(await h.call('GET', `/api/project/${p.id}/`, a.users.verifier.token), 403);
    // A Team Member reads projects but may not change them.
    expect((await h.call('GET', '/api/project/', a.users.member.token)).statusCode).toBe(200);
    expectError(await h.call('POST', '/api/project/', a.users.member.token, { name: 'Nope' }), 403);
    expectError(await h.call('PATCH', `/api/project/${p.id}/`, a.users.member.token, { name: 'Nope' }), 403);
    expectError(await h.call('DELETE', `/api/project/projects/${p.id}/`, a.users.lead.token), 403);
    expect((await projectRow(p.id))?.name).toBe(p.name);
    const none = await h.q(sql`SELECT 1 FROM projects WHERE name = 'Nope'`);
    expect(none).toHaveLength(0);
  });
});

describe('POST /api/project/', () => {
  it('creates a project in the caller organisation, ignoring foreign or unknown fields, and audits it', async () => {
    const res = await h.call('POST', '/api/project/projects/', a.users.supervisor.token, {
      name: '  Website relaunch ',
      description: 'New site',
      status: 'in_progress',
      start_date: '2026-01-10',
      end_date: '2026-03-31',
      organization_id: b.id,
      organization: wire(b.id),
      created_by: wire(b.users.admin.id),
      id: wire(FOREIGN_SHAPED_ID),
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      name: 'Website relaunch', description: 'New site', status: 'in_progress', start_date: '2026-01-10', end_date: '2026-03-31',
      organization: wire(a.id), created_by: wire(a.users.supervisor.id), team_count: 0,
    });
    for (const field of ['id', 'organization', 'created_by']) expectWireId(body[field], field);
    expect(body.id).not.toBe(wire(FOREIGN_SHAPED_ID));
    expect(Object.keys(body).sort()).toEqual(
      ['created_at', 'created_by', 'created_by_name', 'description', 'end_date', 'id', 'name', 'organization', 'start_date', 'status', 'team_count', 'updated_at'],
    );
    const row = await projectRow(body.id as number);
    expect(row).toMatchObject({ organization_id: a.id, created_by: sid(a.users.supervisor.id), status: 'in_progress', start_date: '2026-01-10' });
    const audit = await auditRows(t, 'project', sid(body.id as number));
    expect(audit.map((r) => r.action)).toEqual(['create']);
    expect(audit[0]).toMatchObject({ actor_id: sid(a.users.supervisor.id), organization_id: a.id });
  });

  it('defaults the status to planning and the dates to none', async () => {
    const p = await createProject(a, { name: 'Bare' });
    expect(p).toMatchObject({ status: 'planning', start_date: null, end_date: null, description: '' });
  });

  it('answers 400 with field errors on bad input, never 500', async () => {
    const token = a.users.admin.token;
    expectFieldErrors(await h.call('POST', '/api/project/', token, {}), 'name');
    expectFieldErrors(await h.call('POST', '/api/project/', token, { name: '   ' }), 'name');
    expectFieldErrors(await h.call('POST', '/api/project/', token, { name: 'x'.repeat(300) }), 'name');
    expectFieldErrors(await h.call('POST', '/api/project/', token, { name: 'X', status: 'done' }), 'status');
    expectFieldErrors(await h.call('POST', '/api/project/', token, { name: 'X', start_date: '10/01/2026' }), 'start_date');
    expectFieldErrors(await h.call('POST', '/api/project/', token, { name: 'X', start_date: '2026-02-30' }), 'start_date');
    expectFieldErrors(await h.call('POST', '/api/project/', token, { name: 'X', start_date: '2026-05-01', end_date: '2026-04-30' }), 'end_date');
    expectFieldErrors(await h.call('POST', '/api/project/', token, { name: 42, description: ['a'] }), 'name', 'description');
    const bad = await t.app.inject({ method: 'POST', url: '/api/project/', headers: { authorization: `Token ${token}`, 'content-type': 'application/json' }, payload: '{"name":' });
    expectError(bad, 400, 'parse_error');
    expect(await h.q(sql`SELECT 1 FROM projects WHERE organization_id = ${a.id} AND name = 'X'`)).toHaveLength(0);
  });
});

describe('GET /api/project/', () => {
  it('lists only the organisation projects, paginated, with search, status and ordering', async () => {
    const tag = hex();
    await createProject(a, { name: `Alpha ${tag} one`, status: 'completed' });
    await createProject(a, { name: `Alpha ${tag} two`, status: 'on_hold' });
    const foreign = await createProject(b, { name: `Beta ${tag}` });

    const res = await h.call('GET', `/api/project/?search=${tag}&ordering=name`, a.users.sales.token);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.count).toBe(2);
    expect(body.results!.map((p) => p.name)).toEqual([`Alpha ${tag} one`, `Alpha ${tag} two`]);
    expect(body.results!.map((p) => p.id)).not.toContain(foreign.id);

    const byStatus = (await h.call('GET', `/api/project/projects/?search=${tag}&status=on_hold`, a.users.admin.token)).json();
    expect(byStatus.results!.map((p) => p.name)).toEqual([`Alpha ${tag} two`]);

    const paged = (await h.call('GET', `/api/project/?search=${tag}&ordering=-name&page=2&limit=1`, a.users.admin.token)).json();
    expect(paged).toMatchObject({ count: 2, next: null });
    expect(paged.previous).toEqual(expect.stringContaining('limit=1'));
    expect(paged.results!.map((p) => p.name)).toEqual([`Alpha ${tag} one`]);

    expectFieldErrors(await h.call('GET', '/api/project/?status=nope', a.users.admin.token), 'status');
    expectFieldErrors(await h.call('GET', '/api/project/?page=0', a.users.admin.token), 'page');
  });

  it("tolerates the web client's params=[object Object] bug and stray '?'", async () => {
    const entry = contractEntry('projects.list');
    const res = await t.app.inject(clientRequest(entry, { token: a.users.admin.token, query: { params: '[object Object]' } }));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().count).toBeGreaterThan(0);
    expect(missingFields(entry, res.json())).toEqual([]);
  });

  it('shows another organisation nothing when its id is named, and lets a Super Admin pick one', async () => {
    const p = await createProject(b);
    const other = (await h.call('GET', `/api/project/?organization=${b.id}`, a.users.admin.token)).json();
    expect(other.count).toBe(0);
    const asRoot = (await h.call('GET', `/api/project/?organization=${b.id}&limit=1000`, su.token)).json();
    expect(asRoot.results!.map((x) => x.id)).toContain(p.id);
    expect(asRoot.results!.length).toBeGreaterThan(0);
    expect(asRoot.results!.every((x) => x.organization === wire(b.id))).toBe(true);
    expect((await h.call('GET', '/api/project/', su.token)).json().count).toBe(0);
    expect((await h.call('GET', `/api/project/${p.id}/`, su.token)).json().organization).toBe(wire(b.id));
  });
});

describe('GET/PUT/PATCH/DELETE /api/project/{id}/', () => {
  it('reads a project on both path families', async () => {
    const p = await createProject(a, { description: 'Read me' });
    for (const base of BASES) {
      const res = await h.call('GET', `${base}/${p.id}/`, a.users.member.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: p.id, description: 'Read me', organization: wire(a.id) });
    }
  });

  it('answers 404 for another organisation, a malformed id and an unknown id', async () => {
    const foreign = await createProject(b, { name: 'Foreign' });
    for (const base of BASES) {
      for (const id of [foreign.id, FOREIGN_SHAPED_ID, ...MALFORMED_IDS]) {
        expectError(await h.call('GET', `${base}/${id}/`, a.users.admin.token), 404, 'not_found');
        expectError(await h.call('PATCH', `${base}/${id}/`, a.users.admin.token, { name: 'Stolen' }), 404);
        expectError(await h.call('PUT', `${base}/${id}/`, a.users.admin.token, { name: 'Stolen' }), 404);
        expectError(await h.call('DELETE', `${base}/${id}/`, a.users.admin.token), 404);
      }
    }
    expect((await projectRow(foreign.id))?.name).toBe('Foreign');
  });

  it('patches fields, checks dates against the stored ones, and audits the change', async () => {
    const p = await createProject(a, { start_date: '2026-06-01' });
    expectFieldErrors(await h.call('PATCH', `/api/project/${p.id}/`, a.users.admin.token, { end_date: '2026-05-01' }), 'end_date');
    const res = await h.call('PATCH', `/api/project/projects/${p.id}/`, a.users.admin.token, { status: 'completed', end_date: '2026-07-01' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'completed', start_date: '2026-06-01', end_date: '2026-07-01', name: p.name });
    expect(await projectRow(p.id)).toMatchObject({ status: 'completed', end_date: '2026-07-01' });
    const cleared = await h.call('PATCH', `/api/project/${p.id}/`, a.users.admin.token, { start_date: null });
    expect(cleared.json().start_date).toBeNull();
    const audit = await auditRows(t, 'project', sid(p.id));
    expect(audit.map((r) => r.action)).toEqual(['create', 'update', 'update']);
    expect(audit[1]!.new_values).toEqual({ status: 'completed', end_date: '2026-07-01' });
    expect(audit[1]!.old_values).toEqual({ status: 'planning', end_date: null });
  });

  it('requires the name on PUT', async () => {
    const p = await createProject(a);
    expectFieldErrors(await h.call('PUT', `/api/project/${p.id}/`, a.users.admin.token, { status: 'on_hold' }), 'name');
    const res = await h.call('PUT', `/api/project/${p.id}/`, a.users.admin.token, { name: 'Renamed', status: 'on_hold' });
    expect(res.statusCode).toBe(200);
    expect(await projectRow(p.id)).toMatchObject({ name: 'Renamed', status: 'on_hold' });
  });

  it('deletes a project with its team links and audits it', async () => {
    const p = await createProject(a);
    const team = await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: `Team ${hex()}`, projects: [p.id] });
    expect(team.statusCode, team.body).toBe(201);
    expect((await h.call('GET', `/api/project/${p.id}/`, a.users.admin.token)).json().team_count).toBe(1);
    const res = await h.call('DELETE', `/api/project/projects/${p.id}/`, a.users.admin.token);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await projectRow(p.id)).toBeUndefined();
    expect(await h.q(sql`SELECT 1 FROM team_projects WHERE project_id = ${p.id}`)).toHaveLength(0);
    expectError(await h.call('GET', `/api/project/${p.id}/`, a.users.admin.token), 404);
    const audit = await auditRows(t, 'project', sid(p.id));
    expect(audit.map((r) => r.action)).toEqual(['create', 'delete']);
    expect(audit[1]!.old_values).toMatchObject({ name: p.name });
  });
});
