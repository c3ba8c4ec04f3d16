// /api/notifications/… through HTTP: the web client's list envelope and fields, filters of both
// API surfaces, read state, stats, preferences (and their fallback route), the WebSocket token,
// the security alert; 401/403/404/400 on every route; nothing crosses users or organisations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { rows, sql } from '../../src/core/db/database.ts';
import type { TestApp } from '../support/app.ts';
import { createOrg, createSuperAdmin, type TestOrg, type TestUser } from '../support/identity.ts';
import { caller, dealOf, notificationsApp, notificationsOf, recordPayment } from './helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let root: TestUser;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  t = await notificationsApp();
  call = caller(t);
  a = await createOrg(t, 'Notify Alpha');
  b = await createOrg(t, 'Notify Beta');
  root = await createSuperAdmin(t);
  // Two payments in A: the verifier gets two notifications.
  const deal = await dealOf(t, a.users.sales);
  await recordPayment(t, a.users.sales, deal.deal_id, '1000.00');
  await recordPayment(t, a.users.sales, deal.deal_id, '250.50');
});
afterAll(() => t.close());

type Item = Record<string, unknown>;
const list = async (token: string, query = '') => {
  const res = await call('GET', `/api/notifications/${query}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { results: Item[]; data: unknown[]; pagination: Record<string, number>; count?: number; success?: boolean };
};

describe('the list', () => {
  it('has the web client envelope: results, data [], pagination — no count, no success', async () => {
    const body = await list(a.users.verifier.token, '?page=1&limit=20&unread_only=false');
    expect(body.count).toBeUndefined();
    expect(body.success).toBeUndefined();
    expect(body.data).toEqual([]);
    expect(body.pagination).toEqual({ page: 1, limit: 20, total: 2, totalPages: 1 });
    expect(body.results).toHaveLength(2);
    const [newest] = body.results;
    expect(newest).toMatchObject({
      notification_type: 'payment_received',
      notificationType: 'payment_received',
      category: 'business',
      priority: 'high',
      is_read: false,
      isRead: false,
      read_at: null,
      recipient_email: a.users.verifier.email,
      related_object_type: 'payment',
      title: 'Payment received: 250.50 USD',
    });
    expect(newest!.actionUrl).toMatch(/^\/verifier\/verifier-form\/[1-9][0-9]*$/);
    // Ids are JSON integers: the item's own, its organisation, the related payment and those in `data`.
    expect(newest).toMatchObject({ id: expect.any(Number), organization_id: Number(a.id), related_object_id: expect.any(Number), relatedObjectId: newest!.related_object_id });
    expect(newest!.actionUrl).toBe(`/verifier/verifier-form/${newest!.related_object_id}`);
    expect(newest!.data).toMatchObject({ payment_id: newest!.related_object_id, deal_id: expect.any(Number) });
    expect(newest!.created_at).toBe(newest!.createdAt);
    expect(String(newest!.message)).toContain('250.50 USD');
  });

  it('pages with limit and page, newest first', async () => {
    const first = await list(a.users.verifier.token, '?page=1&limit=1');
    const second = await list(a.users.verifier.token, '?page=2&limit=1');
    expect(first.pagination).toEqual({ page: 1, limit: 1, total: 2, totalPages: 2 });
    expect(first.results[0]!.id).not.toBe(second.results[0]!.id);
    expect(String(first.results[0]!.created_at) >= String(second.results[0]!.created_at)).toBe(true);
  });

  it('filters: unread_only, read / is_read, type prefix and exact type, priority, category', async () => {
    const token = a.users.verifier.token;
    expect((await list(token, '?unread_only=true')).results).toHaveLength(2);
    expect((await list(token, '?read=true')).results).toHaveLength(0);
    expect((await list(token, '?is_read=false')).results).toHaveLength(2);
    expect((await list(token, '?notification_type=payment')).results).toHaveLength(2);
    expect((await list(token, '?type=payment_received')).results).toHaveLength(2);
    expect((await list(token, '?type=deal')).results).toHaveLength(0);
    expect((await list(token, '?priority=high&category=business')).results).toHaveLength(2);
    expect((await call('GET', '/api/notifications/?priority=extreme', token)).statusCode).toBe(400);
    expect((await call('GET', '/api/notifications/?read=maybe', token)).statusCode).toBe(400);
  });

  it('shows only the caller\'s own notifications of their organisation', async () => {
    expect((await list(a.users.sales.token)).results.filter((n) => n.notification_type === 'payment_received')).toHaveLength(0);
    expect((await list(b.users.verifier.token)).results).toHaveLength(0);
    expect((await list(b.users.admin.token)).results).toHaveLength(0);
  });
});

describe('read state', () => {
  it('unread_count, mark_as_read (and mark-read), detail, 404 for others\' and unknown ids', async () => {
    const token = a.users.admin.token;
    const before = (await call('GET', '/api/notifications/unread_count/?', token)).json().unread_count as number;
    expect(before).toBeGreaterThanOrEqual(2);
    const [first, second] = (await list(token, '?type=payment_received')).results;

    const marked = await call('POST', `/api/notifications/${first!.id}/mark_as_read/`, token, {});
    expect(marked.statusCode, marked.body).toBe(200);
    expect(marked.json()).toMatchObject({ id: first!.id, is_read: true, read_at: expect.any(String) });
    expect((await call('POST', `/api/notifications/${first!.id}/mark_as_read/`, token, {})).statusCode).toBe(200);
    expect((await call('POST', `/api/notifications/${second!.id}/mark-read/`, token)).statusCode).toBe(200);
    expect((await call('GET', '/api/notifications/unread_count/', token)).json()).toEqual({ unread_count: before - 2 });

    const detail = await call('GET', `/api/notifications/${first!.id}/`, token);
    expect(detail.json()).toMatchObject({ id: first!.id, is_read: true, isRead: true });

    // The verifier's and another organisation's copies are not the admin's.
    for (const other of [a.users.verifier.token, b.users.admin.token, root.token]) {
      expect((await call('POST', `/api/notifications/${first!.id}/mark_as_read/`, other, {})).statusCode).toBe(404);
      expect((await call('GET', `/api/notifications/${first!.id}/`, other)).statusCode).toBe(404);
    }
    // Well-formed ids that name nothing, and malformed ones.
    for (const id of ['900000000000', '0', '-1', '1.5', randomUUID(), 'not-an-id', '99999999999999999999999']) {
      expect((await call('POST', `/api/notifications/${id}/mark_as_read/`, token, {})).statusCode).toBe(404);
    }
  });

  it('mark_all_as_read with [] marks everything, with ids only those; bad bodies are 400', async () => {
    const token = a.users.verifier.token;
    const [one] = (await list(token)).results;
    const some = await call('POST', '/api/notifications/mark_all_as_read/', token, { notification_ids: [one!.id, 900000000000, 'not-an-id'] });
    expect(some.json()).toEqual({ message: '1 notification marked as read.', count: 1 });
    const all = await call('POST', '/api/notifications/mark_all_as_read/', token, { notification_ids: [] });
    expect(all.json()).toMatchObject({ count: 1 });
    expect((await call('GET', '/api/notifications/unread_count/', token)).json()).toEqual({ unread_count: 0 });
    expect((await call('POST', '/api/notifications/mark-all-read/', token)).json()).toMatchObject({ count: 0 });
    expect((await call('POST', '/api/notifications/mark_all_as_read/', token, { notification_ids: 'all' })).statusCode).toBe(400);
    expect((await call('POST', '/api/notifications/mark_all_as_read/', token, { everything: true })).statusCode).toBe(400);
  });

  it('stats count by type, priority and category', async () => {
    const res = await call('GET', '/api/notifications/stats/', a.users.verifier.token);
    expect(res.json()).toMatchObject({
      total_notifications: 2,
      unread_count: 0,
      read_count: 2,
      by_type: { payment_received: 2 },
      by_priority: { high: 2 },
      by_category: { business: 2 },
    });
    expect(res.json().recent_notifications).toHaveLength(2);
  });
});

describe('preferences', () => {
  const SIX = ['enable_client_notifications', 'enable_deal_notifications', 'notification_timeout', 'enable_email_notifications', 'enable_marketing_emails', 'enable_sound_notifications'];

  it('answers defaults with the six keys and the camelCase aliases, on both routes', async () => {
    for (const url of ['/api/notifications/preferences/?', '/api/auth/users/notification-preferences/?']) {
      const res = await call('GET', url, b.users.sales.token);
      expect(res.statusCode, res.body).toBe(200);
      for (const key of SIX) expect(res.json()).toHaveProperty(key);
      expect(res.json()).toMatchObject({ enable_deal_notifications: true, notification_timeout: 'select', enable_email_notifications: true, desktopNotification: true, communicationEmails: true, user_email: b.users.sales.email });
    }
  });

  it('PATCH changes what was sent; the camelCase view follows; the fallback route edits the same row', async () => {
    const token = b.users.sales.token;
    const patched = await call('PATCH', '/api/notifications/preferences/', token, {
      enable_client_notifications: false, enable_deal_notifications: true, notification_timeout: '30', enable_email_notifications: false, enable_marketing_emails: true, enable_sound_notifications: false,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ enable_client_notifications: false, notification_timeout: '30', pushNotificationTimeout: '30', communicationEmails: false, announcementsUpdates: true, allNotificationSounds: false });
    const fallback = await call('PATCH', '/api/auth/users/notification-preferences/', token, { notification_timeout: '1days' });
    expect(fallback.json()).toMatchObject({ notification_timeout: '1days', enable_client_notifications: false });
    const put = await call('PUT', '/api/auth/users/notification-preferences/', token, { ...(fallback.json() as Record<string, unknown>), desktopNotification: false });
    expect(put.statusCode, put.body).toBe(200);
    expect((await call('GET', '/api/notifications/preferences/', token)).json()).toMatchObject({ desktop_notification: false, notification_timeout: '1days' });
    // The static route wins over /api/auth/users/{id}/, which still answers for real ids.
    expect((await call('GET', `/api/auth/users/${b.users.sales.id}/`, b.users.admin.token)).json()).toMatchObject({ email: b.users.sales.email });
  });

  it('refuses unknown keys and bad values with field errors', async () => {
    const token = b.users.sales.token;
    const bad = await call('PATCH', '/api/notifications/preferences/', token, { notification_timeout: '5' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().notification_timeout).toEqual([expect.any(String)]);
    expect((await call('PATCH', '/api/notifications/preferences/', token, { is_superuser: true })).statusCode).toBe(400);
    expect((await call('PATCH', '/api/notifications/preferences/', token, { enable_deal_notifications: 'yes' })).statusCode).toBe(400);
    expect((await call('PUT', '/api/auth/users/notification-preferences/', token, [1, 2])).statusCode).toBe(400);
  });
});

describe('WebSocket token and security alert', () => {
  it('issues a short-lived token, stored only as a hash', async () => {
    const res = await call('POST', '/api/notifications/websocket-token/', a.users.sales.token, {});
    expect(res.statusCode, res.body).toBe(200);
    const { ws_token, expires_in } = res.json();
    expect(ws_token).toMatch(/^[\w-]{40,}$/);
    expect(expires_in).toBe(60);
    const stored = await t.db.system((tx) => rows<{ token_hash: string }>(tx, sql`SELECT token_hash FROM ws_tokens WHERE user_id = ${a.users.sales.id}`));
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.map((s) => s.token_hash)).not.toContain(ws_token);
  });

  it('a security alert is recorded and reaches the caller\'s org admins only', async () => {
    const res = await call('POST', '/api/notifications/security-alert/', a.users.verifier.token, {
      type: 'security_alert', priority: 'high', recipient_type: 'org_admin', org_id: b.id, message: 'Blocked password change attempt',
      details: { user_id: a.users.verifier.id, role: 'verifier', attempted_action: 'password_change', timestamp: new Date().toISOString() },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ notified: 1 });
    const adminRows = await notificationsOf(t, a.users.admin.id);
    expect(adminRows.find((n) => n.notification_type === 'security_alert')).toMatchObject({ category: 'security', priority: 'high', organization_id: a.id });
    expect((await notificationsOf(t, b.users.admin.id)).filter((n) => n.notification_type === 'security_alert')).toEqual([]);
    const events = await t.db.system((tx) => rows<{ event_type: string; severity: string }>(tx, sql`SELECT event_type, severity FROM security_events WHERE user_id = ${a.users.verifier.id}`));
    expect(events).toContainEqual({ event_type: 'security_alert', severity: 'high' });
    // A repeat within the minute does not flood the admins.
    expect((await call('POST', '/api/notifications/security-alert/', a.users.verifier.token, { message: 'again' })).json()).toMatchObject({ notified: 0 });
    expect((await call('POST', '/api/notifications/security-alert/', a.users.verifier.token, { type: 'security_alert' })).statusCode).toBe(400);
  });
});

describe('authentication', () => {
  it('every route answers 401 without a token', async () => {
    const id = '900000000000';
    const routes: [Parameters<typeof call>[0], string][] = [
      ['GET', '/api/notifications/'], ['GET', '/api/notifications/unread_count/'], ['GET', '/api/notifications/stats/'],
      ['POST', '/api/notifications/mark_all_as_read/'], ['GET', `/api/notifications/${id}/`], ['POST', `/api/notifications/${id}/mark_as_read/`],
      ['POST', `/api/notifications/${id}/mark-read/`], ['GET', '/api/notifications/preferences/'], ['PATCH', '/api/notifications/preferences/'],
      ['GET', '/api/auth/users/notification-preferences/'], ['PATCH', '/api/auth/users/notification-preferences/'], ['PUT', '/api/auth/users/notification-preferences/'],
      ['POST', '/api/notifications/websocket-token/'], ['POST', '/api/notifications/security-alert/'], ['GET', '/api/notifications/templates/'],
      ['POST', '/api/notifications/templates/'], ['GET', `/api/notifications/templates/${id}/`], ['PATCH', `/api/notifications/templates/${id}/`],
      ['DELETE', `/api/notifications/templates/${id}/`], ['GET', '/api/notifications/outbox/'],
    ];
    for (const [method, url] of routes) {
      const res = await call(method, url, undefined, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect((await call(method, url, 'not-a-real-token-0123456789abcdef', method === 'GET' || method === 'DELETE' ? undefined : {})).statusCode).toBe(401);
    }
  });
});
