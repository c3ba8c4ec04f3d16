// Helpers of the notification suites: an app with the module, payments recorded the way the web
// client records them, and a WebSocket client that collects frames and waits for one.
import { randomInt } from 'node:crypto';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { rows, sql } from '../../src/core/db/database.ts';
import { multipartPayload } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, type TestUser } from '../support/identity.ts';
import { createClient, createDeal, PDF, today } from '../support/sales.ts';

export function notificationsApp(env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({ env });
}

/** A deal of `owner` (a salesperson) with no payment yet. */
export async function dealOf(t: TestApp, owner: TestUser, value = '9000.00') {
  const client = await createClient(t, owner.token);
  return createDeal(t, owner.token, client.id, { deal_value: value });
}

/** POST /api/deals/payments/ exactly as the web client's payment form sends it. */
export async function recordPayment(t: TestApp, by: TestUser, dealCode: string, amount = '1000.00') {
  const body = multipartPayload({
    deal_id: dealCode,
    payment_date: today(),
    received_amount: amount,
    cheque_number: String(randomInt(10_000_000, 99_999_999)),
    payment_category: 'partial',
    payment_type: 'cheque',
    payment_remarks: 'instalment',
    receipt_file: { filename: 'receipt.pdf', contentType: 'application/pdf', data: PDF },
  });
  const res = await t.app.inject({ method: 'POST', url: '/api/deals/payments/', payload: body.payload, headers: { ...body.headers, ...auth(by.token) } });
  expect(res.statusCode, res.body).toBe(201);
  const created = res.json() as { id: number; transaction_id: string };
  expect(created.id).toEqual(expect.any(Number)); // ids are JSON integers on the wire
  return created;
}

export type Answer = Awaited<ReturnType<TestApp['app']['inject']>>;

export function caller(t: TestApp) {
  return (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token?: string, payload?: unknown): Promise<Answer> =>
    t.app.inject({
      method,
      url,
      headers: { ...(token ? auth(token) : {}), 'content-type': 'application/json' },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });
}

/** A user's notifications as stored (ids are the database's decimal strings); `userId` as the API gives it or the database. */
export function notificationsOf(t: TestApp, userId: string | number) {
  return t.db.system((tx) =>
    rows<{ id: string; notification_type: string; title: string; message: string; organization_id: string | null; priority: string; category: string; data: Record<string, unknown> }>(
      tx,
      sql`SELECT id, notification_type, title, message, organization_id, priority, category, data FROM notifications WHERE recipient_id = ${String(userId)} ORDER BY created_at, id`,
    ),
  );
}

export type Frame = Record<string, unknown> & { type: string };

/** A WebSocket client that records every frame. */
export class SocketClient {
  readonly frames: Frame[] = [];
  private waiters: { test: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => (w.test(frame) ? (w.resolve(frame), false) : true));
    });
  }

  /** Opens a socket; resolves when open, rejects with the HTTP status when the upgrade is refused. */
  static open(url: string, options?: WebSocket.ClientOptions): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new SocketClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** The first frame (already received or coming) that matches, within `ms`. */
  next(test: (f: Frame) => boolean, ms = 2000): Promise<Frame> {
    const seen = this.frames.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(this.frames).slice(0, 800)}`)), ms);
      this.waiters.push({ test, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  notifications(): Record<string, unknown>[] {
    return this.frames.filter((f) => f.type === 'notification').map((f) => f.notification as Record<string, unknown>);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
