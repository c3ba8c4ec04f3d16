// Who is told what (product.md §6), through the real routes: payment recorded → verifiers;
// decided → the deal's owner; deal, user, team, project created → org admins; organisation
// created → Super Admins; commission approved → the salesperson. Per-user settings decide;
// templates with {{variables}} shape the text (the organisation's over the global one).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyCommissionApproved } from '../../src/core/notifications/triggers.ts';
import type { TestApp } from '../support/app.ts';
import { createOrg, createSuperAdmin, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { caller, dealOf, notificationsApp, notificationsOf, recordPayment } from './helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let root: TestUser;
let secondAdmin: TestUser;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  t = await notificationsApp();
  call = caller(t);
  a = await createOrg(t, 'Trigger Alpha');
  b = await createOrg(t, 'Trigger Beta');
  root = await createSuperAdmin(t);
  secondAdmin = await login(t, (await insertTestUser(t, { orgId: a.id, roleId: a.roles.get('Org Admin') })).email);
});
afterAll(() => t.close());

const typesOf = async (user: TestUser, type: string) => (await notificationsOf(t, user.id)).filter((n) => n.notification_type === type);

describe('triggers', () => {
  it('deal created → the org admins (not the creator, not another organisation)', async () => {
    const deal = await dealOf(t, a.users.sales, '4200.00');
    for (const admin of [a.users.admin, secondAdmin]) {
      const [n] = (await typesOf(admin, 'deal_created')).filter((x) => x.data.deal_code === deal.deal_id);
      expect(n).toMatchObject({ priority: 'medium', category: 'business', organization_id: a.id, title: `New deal ${deal.deal_id}: 4200.00 USD` });
    }
    expect(await typesOf(a.users.sales, 'deal_created')).toEqual([]);
    expect(await typesOf(a.users.verifier, 'deal_created')).toEqual([]);
    expect(await typesOf(b.users.admin, 'deal_created')).toEqual([]);
  });

  it('payment verified / rejected / info requested → the deal owner', async () => {
    const deal = await dealOf(t, a.users.sales, '3000.00');
    const p1 = await recordPayment(t, a.users.sales, deal.deal_id, '100.00');
    const p2 = await recordPayment(t, a.users.sales, deal.deal_id, '200.00');
    const p3 = await recordPayment(t, a.users.sales, deal.deal_id, '300.00');
    const decide = (id: number, payload: object) => call('POST', `/api/verifier/verify/${id}/`, a.users.verifier.token, payload);
    expect((await decide(p1.id, { status: 'approved', verified_amount: '100.00' })).statusCode).toBe(200);
    expect((await decide(p2.id, { status: 'rejected', remarks: 'Cheque bounced' })).statusCode).toBe(200);
    expect((await decide(p3.id, { status: 'requires_info', remarks: 'Receipt unreadable' })).statusCode).toBe(200);
    expect((await typesOf(a.users.sales, 'payment_verified'))[0]).toMatchObject({ title: `Payment ${p1.transaction_id} verified`, data: expect.objectContaining({ verified_amount: '100.00', payment_id: p1.id, deal_id: deal.id }) });
    expect((await typesOf(a.users.sales, 'payment_rejected'))[0]!.message).toContain('Cheque bounced');
    expect(await typesOf(a.users.sales, 'payment_info_requested')).toHaveLength(1);
    expect(await typesOf(a.users.verifier, 'payment_verified')).toEqual([]);
    expect(await typesOf(a.users.admin, 'payment_verified')).toEqual([]);
  });

  it('new user, team and project → the org admins; not the admin who made them', async () => {
    const email = `new-${randomBytes(4).toString('hex')}@example.test`;
    const user = await call('POST', '/api/auth/users/', a.users.admin.token, { email, first_name: 'Nima', last_name: 'Sherpa', role: 'Salesperson', password: 'Granite-Falcon-73!' });
    expect(user.statusCode, user.body).toBe(201);
    const team = await call('POST', '/api/team/teams/', a.users.admin.token, { name: 'Everest Squad' });
    expect(team.statusCode, team.body).toBe(201);
    const project = await call('POST', '/api/project/projects/', a.users.admin.token, { name: 'Lumbini Rollout' });
    expect(project.statusCode, project.body).toBe(201);
    expect((await typesOf(secondAdmin, 'user_created')).map((n) => n.title)).toContain('New user: Nima Sherpa');
    expect((await typesOf(secondAdmin, 'team_created')).map((n) => n.title)).toContain('New team: Everest Squad');
    expect((await typesOf(secondAdmin, 'project_created')).map((n) => n.title)).toContain('New project: Lumbini Rollout');
    expect(await typesOf(a.users.admin, 'user_created')).toEqual([]);
    expect(await typesOf(b.users.admin, 'team_created')).toEqual([]);
  });

  it('organisation created → every Super Admin (a platform notification) except its creator', async () => {
    const other = await createSuperAdmin(t);
    const res = await call('POST', '/api/organizations/', root.token, { name: `Gamma ${randomBytes(3).toString('hex')}` });
    expect(res.statusCode, res.body).toBe(201);
    const [n] = await typesOf(other, 'new_organization');
    expect(n).toMatchObject({ organization_id: null, category: 'system', priority: 'high', data: expect.objectContaining({ organization_id: res.json().id }) });
    expect(await typesOf(root, 'new_organization')).toEqual([]);
    // Super Admins read it through the same list.
    const list = await call('GET', '/api/notifications/?type=new_organization', other.token);
    expect(list.json().results).toHaveLength(1);
    expect(await typesOf(a.users.admin, 'new_organization')).toEqual([]);
  });

  it('commission approved → the salesperson (the function the commission module calls)', async () => {
    const items = await t.db.tenant({ orgId: a.id, userId: a.users.admin.id }, (tx) =>
      notifyCommissionApproved({ orgId: a.id, actor: null, tx, meta: { ip: '', userAgent: '', requestId: 'test' } }, {
        userId: String(a.users.sales.id), commissionId: '900000000000', period: '2026-01', amount: '1234.5', currency: 'NPR',
      }),
    );
    expect(items).toBeUndefined();
    expect((await typesOf(a.users.sales, 'commission_approved'))[0]).toMatchObject({ title: 'Commission approved: 1234.50 NPR', organization_id: a.id, data: expect.objectContaining({ commission_id: 900000000000 }) });
  });
});

describe('settings and templates', () => {
  it('a recipient\'s settings decide: group switch, single type, minimum priority', async () => {
    const v2 = await login(t, (await insertTestUser(t, { orgId: b.id, roleId: b.roles.get('Verifier') })).email);
    const v3 = await login(t, (await insertTestUser(t, { orgId: b.id, roleId: b.roles.get('Verifier') })).email);
    expect((await call('PATCH', '/api/notifications/preferences/', b.users.verifier.token, { enable_deal_notifications: false })).statusCode).toBe(200);
    expect((await call('PATCH', '/api/notifications/preferences/', v2.token, { disabled_types: ['payment_received'] })).statusCode).toBe(200);
    expect((await call('PATCH', '/api/notifications/preferences/', v3.token, { min_priority: 'urgent' })).statusCode).toBe(200);
    const deal = await dealOf(t, b.users.sales);
    await recordPayment(t, b.users.sales, deal.deal_id);
    for (const u of [b.users.verifier, v2, v3]) expect(await typesOf(u, 'payment_received')).toEqual([]);
    expect(await typesOf(b.users.admin, 'payment_received')).toHaveLength(1);
  });

  it('templates: CRUD for admins; the organisation\'s template renders {{variables}} over the global one', async () => {
    const global = await call('POST', '/api/notifications/templates/', root.token, { notification_type: 'payment_received', title_template: 'GLOBAL {{transaction_id}}', message_template: 'g' });
    expect(global.statusCode, global.body).toBe(201);
    expect(global.json()).toMatchObject({ is_global: true, available_variables: ['transaction_id'] });
    const own = await call('POST', '/api/notifications/templates/', a.users.admin.token, {
      notification_type: 'payment_received', name: 'Cheque received', title: 'Cheque {{transaction_id}} for {{deal_code}}', message: 'Hi {{recipient_first_name}}, {{amount}} {{currency}} arrived.{{nothing}}',
    });
    expect(own.statusCode, own.body).toBe(201);
    expect(own.json()).toMatchObject({ is_global: false, title_template: 'Cheque {{transaction_id}} for {{deal_code}}', available_variables: ['amount', 'currency', 'deal_code', 'nothing', 'recipient_first_name', 'transaction_id'] });
    // A second template of one type in one organisation is a duplicate (409).
    expect((await call('POST', '/api/notifications/templates/', a.users.admin.token, { notification_type: 'payment_received', title: 'x' })).statusCode).toBe(409);
    expect((await call('POST', '/api/notifications/templates/', a.users.admin.token, { notification_type: 'Bad Type', title: 'x' })).statusCode).toBe(400);
    expect((await call('POST', '/api/notifications/templates/', a.users.admin.token, { notification_type: 'deal_created' })).statusCode).toBe(400);

    const deal = await dealOf(t, a.users.sales);
    const p = await recordPayment(t, a.users.sales, deal.deal_id, '75.00');
    const [n] = (await typesOf(a.users.verifier, 'payment_received')).filter((x) => x.data.payment_id === p.id);
    expect(n).toMatchObject({ title: `Cheque ${p.transaction_id} for ${deal.deal_id}`, message: 'Hi Test, 75.00 USD arrived.' });
    const deal2 = await dealOf(t, b.users.sales);
    const p2 = await recordPayment(t, b.users.sales, deal2.deal_id, '76.00');
    expect((await typesOf(b.users.admin, 'payment_received')).find((x) => x.data.payment_id === p2.id)!.title).toBe(`GLOBAL ${p2.transaction_id}`);

    // Read, change, delete; another organisation's template is not there; lesser roles are refused.
    const id = own.json().id as string;
    expect((await call('GET', '/api/notifications/templates/', a.users.admin.token)).json().count).toBe(2);
    expect((await call('GET', `/api/notifications/templates/${id}/`, a.users.admin.token)).json()).toMatchObject({ id, name: 'Cheque received' });
    expect((await call('PATCH', `/api/notifications/templates/${id}/`, a.users.admin.token, { is_active: false })).json()).toMatchObject({ is_active: false });
    expect((await call('PATCH', `/api/notifications/templates/${id}/`, a.users.admin.token, { title_template: '' })).statusCode).toBe(400);
    for (const [method, token] of [['GET', b.users.admin.token], ['PATCH', b.users.admin.token], ['DELETE', b.users.admin.token], ['PATCH', a.users.admin.token]] as const) {
      const url = method === 'PATCH' && token === a.users.admin.token ? `/api/notifications/templates/${global.json().id}/` : `/api/notifications/templates/${id}/`;
      expect((await call(method, url, token, method === 'PATCH' ? { name: 'x' } : undefined)).statusCode, `${method} ${url}`).toBe(404);
    }
    for (const token of [a.users.sales.token, a.users.verifier.token]) {
      expect((await call('GET', '/api/notifications/templates/', token)).statusCode).toBe(403);
      expect((await call('POST', '/api/notifications/templates/', token, { notification_type: 'deal_created', title: 'x' })).statusCode).toBe(403);
      expect((await call('DELETE', `/api/notifications/templates/${id}/`, token)).statusCode).toBe(403);
    }
    expect((await call('DELETE', `/api/notifications/templates/${id}/`, a.users.admin.token)).statusCode).toBe(204);
    expect((await call('GET', `/api/notifications/templates/${id}/`, a.users.admin.token)).statusCode).toBe(404);
    expect((await call('GET', '/api/notifications/admin/list_templates/', a.users.admin.token)).json().count).toBe(1);
  });
});
