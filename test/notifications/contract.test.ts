// The web client's notification calls, generated from prs-web-contract.json: every
// `notifications.*` and `auth.users.notification-preferences.*` entry sent exactly as the client
// sends it (stray '?', 'Token' header, JSON content type), answered 2xx with every field it reads
// (after the client's unwrapping), and 401 without a token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientRequest, clientView, contractEntries, contractEntry, missingFields, type ClientRequestOptions } from '../contract/contract.ts';
import type { TestApp } from '../support/app.ts';
import { createOrg, type TestOrg } from '../support/identity.ts';
import { dealOf, notificationsApp, recordPayment } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
let notificationId: string;

const ENTRIES = contractEntries().filter((e) => e.id.startsWith('notifications.') || e.id.startsWith('auth.users.notification-preferences.'));

const SIX = {
  enable_client_notifications: true,
  enable_deal_notifications: false,
  notification_timeout: '60',
  enable_email_notifications: true,
  enable_marketing_emails: false,
  enable_sound_notifications: true,
};

/** What the client sends for each entry (bodies and queries as its code builds them). */
function requestFor(id: string): ClientRequestOptions {
  switch (id) {
    case 'notifications.list':
      return { query: { page: '1', limit: '20', unread_only: 'false' } };
    case 'notifications.mark-read':
      return { params: { id: notificationId }, body: {} };
    case 'notifications.mark-all-read':
      return { body: { notification_ids: [] } };
    case 'notifications.preferences.patch':
    case 'auth.users.notification-preferences.patch':
      return { body: SIX };
    case 'notifications.websocket-token':
      return { body: {} };
    case 'notifications.security-alert':
      return {
        body: {
          type: 'security_alert', priority: 'high', recipient_type: 'org_admin', org_id: org.id, message: 'Salesperson attempted a password change',
          details: { user_id: org.users.sales.id, role: 'salesperson', attempted_action: 'password_change', timestamp: new Date().toISOString() },
        },
      };
    default:
      return {};
  }
}

beforeAll(async () => {
  t = await notificationsApp();
  org = await createOrg(t, 'Contract Notify');
  const deal = await dealOf(t, org.users.sales);
  await recordPayment(t, org.users.sales, deal.deal_id, '500.00');
  const list = await t.app.inject(clientRequest(contractEntry('notifications.list'), { token: org.users.verifier.token, query: { page: '1', limit: '20', unread_only: 'false' } }));
  notificationId = list.json().results[0].id;
});
afterAll(() => t.close());

describe('notification contract entries', () => {
  it('covers the ten entries of this area', () => {
    expect(ENTRIES.map((e) => e.id).sort()).toEqual([
      'auth.users.notification-preferences.get', 'auth.users.notification-preferences.patch',
      'notifications.list', 'notifications.mark-all-read', 'notifications.mark-read', 'notifications.preferences.get',
      'notifications.preferences.patch', 'notifications.security-alert', 'notifications.unread-count', 'notifications.websocket-token',
    ]);
  });

  for (const entry of ENTRIES) {
    it(`${entry.id}: ${entry.method} ${entry.path} answers 2xx with every field the client reads`, async () => {
      const res = await t.app.inject(clientRequest(entry, { token: org.users.verifier.token, ...requestFor(entry.id) }));
      expect(res.statusCode >= 200 && res.statusCode < 300, `${entry.id} → ${res.statusCode} ${res.body.slice(0, 400)}`).toBe(true);
      const body: unknown = res.body ? JSON.parse(res.body) : undefined;
      // notifications.list: the contract lists `count`, yet the .md forbids it there (the client shows nothing otherwise).
      const allowed = entry.id === 'notifications.list' ? ['count'] : [];
      expect(missingFields(entry, body).filter((f) => !allowed.includes(f))).toEqual([]);
      if (entry.id === 'notifications.list') {
        const view = clientView(entry, body) as { results: Record<string, unknown>[] };
        expect(view.results.length).toBeGreaterThan(0);
        expect(view.results.every((n) => typeof n.category === 'string' && n.category !== '')).toBe(true);
        expect(body).not.toHaveProperty('count');
        expect(body).not.toHaveProperty('success');
      }
      if (entry.id.endsWith('preferences.patch')) expect(body).toMatchObject(SIX);
      if (entry.id === 'notifications.mark-all-read') expect(body).toMatchObject({ count: expect.any(Number), message: expect.stringMatching(/marked as read/) });
    });

    it(`${entry.id}: 401 without a token`, async () => {
      const options = requestFor(entry.id);
      const res = await t.app.inject(clientRequest(entry, { ...options }));
      expect(res.statusCode).toBe(401);
    });
  }
});
