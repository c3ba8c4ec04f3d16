// The triggers added beside product.md §6's list, through the real routes: payment refunded /
// marked bad debt → the deal's owner and the org admins; client created → Org Admins and
// Supervisors who may see every client; role created → the other org admins. Each one reaches
// exactly its recipients (never the actor, never another organisation), is pushed live to the
// owner's socket after commit and queues e-mail where the recipient's settings ask for it.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { DEFAULT_ROLES, ROLE_NAMES } from '../../src/core/access/catalog.ts';
import type { TestApp } from '../support/app.ts';
import { createOrg, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { createClient } from '../support/sales.ts';
import { caller, dealOf, notificationsApp, recordPayment, SocketClient, type Frame } from './helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let secondAdmin: TestUser;
let call: ReturnType<typeof caller>;
let base: string;
const sockets: SocketClient[] = [];

beforeAll(async () => {
  t = await notificationsApp();
  call = caller(t);
  a = await createOrg(t, 'Writeoff Alpha');
  b = await createOrg(t, 'Writeoff Beta');
  secondAdmin = await login(t, (await insertTestUser(t, { orgId: a.id, roleId: a.roles.get(ROLE_NAMES.orgAdmin) })).email);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await t.close();
});

interface Row {
  id: string;
  recipient_id: string;
  organization_id: string | null;
  priority: string;
  category: string;
  title: string;
  message: string;
  action_url: string | null;
  related_object_id: string | null;
  data: Record<string, unknown>;
}

/**
 * Every notification of `type` about `relatedId` (an id as the API answers it: a JSON integer), by
 * recipient id (the database's decimal string; read in system scope).
 */
async function noticesAbout(type: string, relatedId: string | number): Promise<Map<string, Row[]>> {
  const found = await t.db.system((tx) =>
    rows<Row>(
      tx,
      sql`SELECT id, recipient_id, organization_id, priority, category, title, message, action_url, related_object_id, data
          FROM notifications WHERE notification_type = ${type} AND related_object_id = ${String(relatedId)} ORDER BY created_at, id`,
    ),
  );
  const byRecipient = new Map<string, Row[]>();
  for (const r of found) byRecipient.set(r.recipient_id, [...(byRecipient.get(r.recipient_id) ?? []), r]);
  return byRecipient;
}

const everyone = (org: TestOrg) => Object.values(org.users);
/** A user's id as the database gives it (a test user's id comes from the login answer, a JSON integer). */
const dbId = (u: TestUser) => String(u.id);
/** A user's notifications among those found. */
const of = (found: Map<string, Row[]>, u: TestUser) => found.get(dbId(u));
/** Exactly these users were notified, once each. */
function expectRecipients(found: Map<string, Row[]>, expected: TestUser[]) {
  expect([...found.keys()].sort()).toEqual(expected.map(dbId).sort());
  for (const list of found.values()) expect(list).toHaveLength(1);
}

async function connect(user: TestUser) {
  const socket = await SocketClient.open(`${base}/ws/notifications/?token=${user.token}`);
  sockets.push(socket);
  await socket.next((f) => f.type === 'notification_batch');
  return socket;
}

/** A verified payment on a new deal of a's salesperson. */
async function verifiedPayment() {
  const deal = await dealOf(t, a.users.sales, '5000.00');
  const payment = await recordPayment(t, a.users.sales, deal.deal_id, '800.00');
  const res = await call('POST', `/api/verifier/verify/${payment.id}/`, a.users.verifier.token, { status: 'approved' });
  expect(res.statusCode, res.body).toBe(200);
  return { deal, payment };
}

describe('payment refunded / marked bad debt', () => {
  it('refund → the deal owner (live, with e-mail) and every org admin; not the verifier who marked it, nobody in another organisation', async () => {
    const { deal, payment } = await verifiedPayment();
    const ownerSocket = await connect(a.users.sales);
    const res = await call('POST', `/api/payments/${payment.id}/refund/`, a.users.verifier.token, { reason: 'Client cancelled the order' });
    expect(res.statusCode, res.body).toBe(200);

    const found = await noticesAbout('payment_refunded', payment.id);
    expectRecipients(found, [a.users.sales, a.users.admin, secondAdmin]);
    const owner = of(found, a.users.sales)![0]!;
    expect(owner).toMatchObject({
      organization_id: a.id, priority: 'high', category: 'business', title: `Payment ${payment.transaction_id} refunded`,
      action_url: `/salesperson/deal/${deal.deal_id}`,
      data: expect.objectContaining({ payment_id: payment.id, deal_code: deal.deal_id, status: 'refunded', reason: 'Client cancelled the order' }),
    });
    expect(owner.message).toContain('Client cancelled the order');
    expect(of(found, a.users.admin)![0]).toMatchObject({ organization_id: a.id, action_url: '/org-admin/deals', title: `Payment ${payment.transaction_id} refunded` });

    // Pushed to the owner's open socket once the refund committed.
    const frame = await ownerSocket.next((f: Frame) => f.type === 'notification' && (f.notification as { notification_type?: string }).notification_type === 'payment_refunded', 1000);
    expect(frame.notification).toMatchObject({ id: Number(owner.id), related_object_id: payment.id, organization_id: Number(a.id), priority: 'high' });
    expect(payment.id).toEqual(expect.any(Number));
    // High priority meets the default e-mail threshold: one message per notification.
    const mails = await t.db.system((tx) =>
      rows<{ recipient: string }>(tx, sql`SELECT recipient FROM email_outbox WHERE notification_id = ANY(${sql.param([...found.values()].flat().map((n) => n.id))}::bigint[])`),
    );
    expect(mails.map((m) => m.recipient).sort()).toEqual([a.users.sales.email, a.users.admin.email, secondAdmin.email].sort());
    for (const u of everyone(b)) expect(found.has(dbId(u))).toBe(false);
  });

  it('bad debt marked by an org admin → the owner and the other admin, not the admin who marked it', async () => {
    const { payment } = await verifiedPayment();
    const res = await call('POST', `/api/payments/${payment.id}/bad-debt/`, a.users.admin.token, { reason: 'Cheque bounced twice' });
    expect(res.statusCode, res.body).toBe(200);
    const found = await noticesAbout('payment_bad_debt', payment.id);
    expectRecipients(found, [a.users.sales, secondAdmin]);
    expect(of(found, a.users.sales)![0]).toMatchObject({ priority: 'high', title: `Payment ${payment.transaction_id} marked bad debt`, data: expect.objectContaining({ status: 'bad_debt' }) });
    expect((await noticesAbout('payment_refunded', payment.id)).size).toBe(0);
  });

  it('a refused write-off (not verified) notifies nobody', async () => {
    const deal = await dealOf(t, a.users.sales);
    const payment = await recordPayment(t, a.users.sales, deal.deal_id, '50.00');
    const res = await call('POST', `/api/payments/${payment.id}/refund/`, a.users.verifier.token, { reason: 'too early' });
    expect(res.statusCode).toBe(409);
    expect((await noticesAbout('payment_refunded', payment.id)).size).toBe(0);
  });
});

describe('client created', () => {
  it('→ org admins and supervisors; not the salesperson who created it, not verifiers or team roles, not another organisation', async () => {
    const client = await createClient(t, a.users.sales.token, { client_name: 'Himal Traders' });
    const found = await noticesAbout('client_created', client.id);
    expectRecipients(found, [a.users.admin, secondAdmin, a.users.supervisor]);
    expect(of(found, a.users.supervisor)![0]).toMatchObject({
      organization_id: a.id, priority: 'medium', category: 'business', title: 'New client: Himal Traders', action_url: '/org-admin/manage-clients',
      data: expect.objectContaining({ client_id: client.id, name: 'Himal Traders' }),
    });

    const byAdmin = await createClient(t, a.users.admin.token, { client_name: 'Annapurna Imports' });
    expectRecipients(await noticesAbout('client_created', byAdmin.id), [secondAdmin, a.users.supervisor]);
  });

  it('a supervisor whose role cannot see every client is not told; an admin who switched client notifications off is not either', async () => {
    const c = await createOrg(t, 'Writeoff Gamma');
    const supervisorPermissions = DEFAULT_ROLES.find((r) => r.name === ROLE_NAMES.supervisor)!.permissions.filter((p) => p !== 'clients:view_all');
    const patched = await call('PATCH', `/api/permissions/roles/${c.roles.get(ROLE_NAMES.supervisor)}/`, c.users.admin.token, { permissions: [...supervisorPermissions, 'clients:view_team'] });
    expect(patched.statusCode, patched.body).toBe(200);
    const first = await createClient(t, c.users.sales.token);
    expectRecipients(await noticesAbout('client_created', first.id), [c.users.admin]);

    expect((await call('PATCH', '/api/notifications/preferences/', c.users.admin.token, { enable_client_notifications: false })).statusCode).toBe(200);
    const second = await createClient(t, c.users.sales.token);
    expect((await noticesAbout('client_created', second.id)).size).toBe(0);
  });
});

describe('role created', () => {
  it('→ the other org admins only', async () => {
    const res = await call('POST', '/api/permissions/roles/', a.users.admin.token, { name: 'Field Auditor', permissions: ['payments:view', 'audit:view'] });
    expect(res.statusCode, res.body).toBe(201);
    const roleId = res.json().id as number;
    expect(roleId).toEqual(expect.any(Number));
    const found = await noticesAbout('role_created', roleId);
    expectRecipients(found, [secondAdmin]);
    expect(of(found, secondAdmin)![0]).toMatchObject({
      organization_id: a.id, priority: 'medium', category: 'user_management', title: 'New role: Field Auditor', action_url: '/org-admin/permission',
      data: expect.objectContaining({ role_id: roleId, name: 'Field Auditor' }),
    });
    // A refused duplicate creates nothing.
    expect((await call('POST', '/api/permissions/roles/', a.users.admin.token, { name: 'Field Auditor' })).statusCode).toBe(409);
    expect(of(await noticesAbout('role_created', roleId), secondAdmin)).toHaveLength(1);
  });

  it('a role created in another organisation stays there', async () => {
    const res = await call('POST', '/api/permissions/roles/', b.users.admin.token, { name: 'Beta Reviewer', permissions: ['payments:view'] });
    expect(res.statusCode, res.body).toBe(201);
    const found = await noticesAbout('role_created', res.json().id as number);
    expect(found.size).toBe(0); // b has one admin: the creator
    for (const u of [...everyone(a), secondAdmin]) expect(found.has(dbId(u))).toBe(false);
  });
});
