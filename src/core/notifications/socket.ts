// WebSocket /ws/notifications/?ws_token=… (or ?token=<access JWT | session token>), with the web
// client's frames. On connect the server sends what the socket missed as `notification_batch`
// frames: everything created after `since`/`last_seen` (ISO time) when given, else the unread
// notifications no socket of the user has been pushed yet (claimed, so that of sockets opening
// together only one gets each; see delivery.ts). Live events that arrive while that catch-up is
// read are held back and sent after it, without repeats, so nothing committed is lost between
// the two. A live notification reaches one socket per auth session, the newest (see
// realtime/hub.ts): the web client opens several sockets at once with one session, and each
// showed every toast. Frames are written by their schemas (frames.ts): ids are JSON integers and
// a notification is exactly the REST list's item.
//   server → client: connection_established, notification_batch {notifications, count},
//                    notification {notification}, unread_count {count, unread_count}, pong,
//                    mark_as_read_response, mark_all_as_read_response, error {message}
//   client → server: ping, mark_as_read {notification_id}, mark_all_as_read, get_unread_count
import type { WebSocket } from 'ws';
import { isBusinessInstant, isId } from '../http/fields.ts';
import { unauthorized } from '../http/errors.ts';
import type { Actor } from '../http/auth.ts';
import type { AppInstance } from '../http/types.ts';
import type { Connection, RealtimeEvent } from '../realtime/hub.ts';
import { claimUnpushed, markPushed, PendingDeliveries, releaseClaim } from './delivery.ts';
import { encodeFrame, type Frame, type ServerFrame } from './frames.ts';
import { presentNotification } from './present.ts';
import * as repo from './repo.ts';
import { authenticateSocket, sessionStillValid } from './socket-auth.ts';

const BATCH_SIZE = 100;
const CATCH_UP_LIMIT = 1000;
const HEARTBEAT_MS = 30_000;
const REVALIDATE_MS = 5 * 60_000;

function parseSince(query: Record<string, unknown>): Date | undefined {
  const raw = query.since ?? query.last_seen;
  if (typeof raw !== 'string' || !raw) return undefined;
  const date = new Date(raw);
  return isBusinessInstant(date) ? date : undefined;
}

class NotificationSocket implements Connection {
  readonly userId: string;
  readonly orgId: string | null;
  readonly sessionId: string;
  readonly key: string;
  readonly openedAt = Date.now();
  private held: RealtimeEvent[] | undefined = [];
  /** Live notifications sent but not yet confirmed, by id: handed to the session's next socket if this one ends. */
  private readonly unconfirmedLive = new Map<string, Record<string, unknown>>();
  private alive = true;
  private stopped = false;
  private checkedAt = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly pending = new PendingDeliveries();
  private pingScheduled = false;

  constructor(
    private readonly app: AppInstance,
    private readonly socket: WebSocket,
    private readonly actor: Actor,
  ) {
    this.userId = actor.userId;
    this.orgId = actor.orgId;
    this.sessionId = actor.sessionId;
    this.key = app.realtime.hub.newKey();
  }

  private get scope(): repo.Scope {
    return { userId: this.userId, orgId: this.orgId };
  }

  /** Sends a frame; one that does not fit its schema (a malformed event from another process) is dropped. */
  private send(frame: ServerFrame): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false;
    let text: string;
    try {
      text = encodeFrame(frame);
    } catch (err) {
      this.warn(err, `websocket ${frame.type} frame dropped`);
      return false;
    }
    this.socket.send(text);
    return true;
  }

  /** Pings (its number as payload); the pong confirms every notification sent before it. */
  private ping(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping(this.pending.ping());
  }

  /** A ping right after notifications go out (once per tick), so they are confirmed promptly. */
  private confirmSoon(): void {
    if (this.pingScheduled) return;
    this.pingScheduled = true;
    setImmediate(() => {
      this.pingScheduled = false;
      if (this.pending.waiting) this.ping();
    });
  }

  private onPong(payload: Buffer): void {
    this.alive = true;
    const live = this.pending.pong(payload);
    for (const id of live) this.unconfirmedLive.delete(id);
    if (live.length) void this.tenant((tx) => markPushed(tx, this.scope, live)).catch((err: unknown) => this.warn(err, 'marking notifications pushed failed'));
  }

  private warn(err: unknown, message: string): void {
    this.app.log.warn({ err: { message: (err as Error).message } }, message);
  }

  private tenant<T>(fn: (tx: Parameters<Parameters<AppInstance['db']['tenant']>[1]>[0]) => Promise<T>): Promise<T> {
    return this.app.db.tenant({ orgId: this.orgId, userId: this.userId }, fn);
  }

  async start(since: Date | undefined): Promise<void> {
    this.app.realtime.hub.add(this);
    this.socket.on('message', (data, isBinary) => void this.onMessage(isBinary ? '' : data.toString()));
    this.socket.on('pong', (payload) => this.onPong(payload));
    this.socket.on('close', () => this.stop());
    this.socket.on('error', () => this.stop());
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.send({ type: 'connection_established', message: 'WebSocket connected!', user_id: this.userId, organization_id: this.orgId, timestamp: new Date().toISOString() });
    try {
      const [missed, unread] = await this.tenant(
        async (tx) =>
          [since ? { rows: await repo.missedSince(tx, this.scope, since, CATCH_UP_LIMIT), claim: null } : await claimUnpushed(tx, this.scope, CATCH_UP_LIMIT), await repo.unreadCount(tx, this.scope)] as const,
      );
      const items = missed.rows.map(presentNotification);
      // Tracked before sending: a socket that closed meanwhile (stop() already ran) or closes
      // before its pong gives the claim back.
      this.pending.sent(items.map((n) => String(n.id)), missed.claim);
      if (this.stopped) return void (await this.releaseUnconfirmed());
      for (let i = 0; i === 0 || i < items.length; i += BATCH_SIZE) {
        const chunk = items.slice(i, i + BATCH_SIZE);
        this.send({ type: 'notification_batch', notifications: chunk, count: chunk.length, total: items.length, since: since?.toISOString() ?? null });
      }
      this.send({ type: 'unread_count', count: unread, unread_count: unread });
      const sent = new Set(items.map((n) => n.id));
      const held = this.held ?? [];
      this.held = undefined;
      for (const event of held) if (event.type !== 'notification' || !sent.has(String(event.notification.id))) this.push(event);
      this.confirmSoon();
    } catch (err) {
      this.warn(err, 'notification catch-up failed');
      this.socket.close(1011, 'catch-up failed');
    }
  }

  /** Called by the hub for this user's events (from this or another process). */
  deliver(event: RealtimeEvent): void {
    if (this.held) this.held.push(event);
    else this.push(event);
  }

  private push(event: RealtimeEvent): void {
    if (event.type === 'notification') {
      const notification = event.notification as Frame<'notification'>['notification'];
      if (!this.send({ type: 'notification', notification: { ...notification, received_at: new Date().toISOString() } })) return;
      const id = String(notification.id);
      this.pending.sent([id], null);
      this.unconfirmedLive.set(id, event.notification);
      this.confirmSoon();
    } else this.send({ type: 'unread_count', count: event.count, unread_count: event.count });
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    // Removed first: the session's next socket is chosen from now on, and (with Redis) the close
    // is announced before the hand-over below, so every process has applied it when that arrives.
    this.app.realtime.hub.remove(this);
    void this.handOver();
    void this.releaseUnconfirmed();
  }

  /**
   * Live notifications this socket was given but its client never confirmed (or that were still
   * held behind its catch-up) go to the session's next socket, if it has one; other sessions had
   * their own. Without one they wait, unpushed, for the next connect (unless another session's
   * client confirmed them meanwhile).
   */
  private async handOver(): Promise<void> {
    const items = new Map(this.unconfirmedLive);
    this.unconfirmedLive.clear();
    for (const event of this.held ?? []) if (event.type === 'notification') items.set(String(event.notification.id), event.notification);
    this.held = undefined;
    for (const notification of items.values()) {
      await this.app.realtime.publish({ type: 'notification', userId: this.userId, orgId: this.orgId, notification, sessionId: this.sessionId });
    }
  }

  /**
   * The socket ended: catch-up rows it claimed but the client never confirmed become unpushed
   * again and are published to the user's other sockets (any process); with none open, the
   * next connect's catch-up delivers them.
   */
  private async releaseUnconfirmed(): Promise<void> {
    for (const [claim, ids] of this.pending.drain()) {
      try {
        const released = await this.tenant((tx) => releaseClaim(tx, this.scope, ids, claim));
        for (const row of released) {
          await this.app.realtime.publish({ type: 'notification', userId: this.userId, orgId: row.organization_id, notification: presentNotification(row) });
        }
      } catch (err) {
        // Left claimed: the rows stay in the list (REST), only their live toast is lost.
        this.warn(err, 'releasing unconfirmed notifications failed');
      }
    }
  }

  /** Drops dead peers, and closes sockets whose session was revoked or expired meanwhile. */
  private async beat(): Promise<void> {
    if (!this.alive) return void this.socket.terminate();
    this.alive = false;
    this.ping();
    if (Date.now() - this.checkedAt > REVALIDATE_MS) {
      this.checkedAt = Date.now();
      if (!(await sessionStillValid(this.app, this.actor).catch(() => true))) this.socket.close(4001, 'session ended');
    }
  }

  private async onMessage(text: string): Promise<void> {
    let message: { type?: unknown; notification_id?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
      if (typeof message !== 'object' || message === null) throw new Error('not an object');
    } catch {
      return void this.send({ type: 'error', message: 'Invalid JSON format' });
    }
    try {
      switch (message.type) {
        case 'ping':
          return void this.send({ type: 'pong', timestamp: new Date().toISOString() });
        case 'mark_as_read':
        case 'mark_read': {
          const id = typeof message.notification_id === 'string' || typeof message.notification_id === 'number' ? String(message.notification_id) : '';
          const result = isId(id)
            ? await this.tenant(async (tx) => ({ found: !!(await repo.findNotification(tx, this.scope, id)), changed: await repo.markRead(tx, this.scope, [id]), unread: await repo.unreadCount(tx, this.scope) }))
            : { found: false, changed: [], unread: undefined };
          this.send({ type: 'mark_as_read_response', notification_id: message.notification_id ?? null, success: result.found });
          if (result.unread !== undefined) await this.app.realtime.publish({ type: 'unread_count', userId: this.userId, orgId: this.orgId, count: result.unread });
          return;
        }
        case 'mark_all_as_read': {
          const changed = await this.tenant((tx) => repo.markRead(tx, this.scope, 'all'));
          this.send({ type: 'mark_all_as_read_response', count: changed.length, success: true });
          return void (await this.app.realtime.publish({ type: 'unread_count', userId: this.userId, orgId: this.orgId, count: 0 }));
        }
        case 'get_unread_count':
        case 'unread_count': {
          const count = await this.tenant((tx) => repo.unreadCount(tx, this.scope));
          return void this.send({ type: 'unread_count', count, unread_count: count });
        }
        default:
          return void this.send({ type: 'error', message: `Unknown message type: ${String(message.type).slice(0, 50)}` });
      }
    } catch (err) {
      this.app.log.warn({ err: { message: (err as Error).message } }, 'websocket message failed');
      this.send({ type: 'error', message: 'The request could not be processed.' });
    }
  }
}

export async function socketRoutes(app: AppInstance) {
  for (const url of ['/ws/notifications/', '/ws/']) {
    app.route({
      method: 'GET',
      url,
      websocket: true,
      schema: { hide: true },
      config: { auth: 'none' },
      // The URL carries a token: keep it out of the request logs (they are info level).
      logLevel: 'warn',
      // Authenticated before the upgrade: a bad token is an HTTP 401, never an open socket.
      preValidation: async (request) => {
        const actor = await authenticateSocket(app, (request.query ?? {}) as Record<string, unknown>);
        if (!actor) throw unauthorized('A valid ws_token or token query parameter is required.', 'authentication_failed');
        request.actor = actor;
      },
      handler: (socket, request) => {
        const connection = new NotificationSocket(app, socket, request.actor!);
        void connection.start(parseSince((request.query ?? {}) as Record<string, unknown>));
      },
    });
  }
}
