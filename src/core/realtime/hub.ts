// Live delivery to WebSocket connections, keyed by user id. Producers never talk to sockets:
// they publish events to a Publisher, and every process's hub delivers the events meant for the
// connections it holds. In one process the publisher is the hub itself; with REDIS_URL it is
// Redis pub/sub (see redis.ts), so an event published anywhere reaches every process.
//
// A notification reaches each client once: of the sockets opened with one auth session (a
// ws_token is issued to the session that asked for it; `?token=` names its session directly)
// only one receives it, the most recently opened one still open. Another session of the same
// user (another browser or device) has its own. Within one process the hub sees every socket;
// across processes the choice is made from the fleet's socket directory (redis.ts), which every
// process reads in the same order as the events, so all of them pick the same socket.
// `unread_count` is state, not a toast: it still reaches every socket (every tab's badge).
import { randomBytes } from 'node:crypto';

/** What travels between processes: small, JSON-serialisable, addressed to one user. */
export type RealtimeEvent =
  | {
      type: 'notification';
      userId: string;
      orgId: string | null;
      notification: Record<string, unknown>;
      /** Only to this session (a closing socket hands over what its client never confirmed). */
      sessionId?: string;
    }
  | { type: 'unread_count'; userId: string; orgId: string | null; count: number };

/** A socket as the fleet knows it: unique key ("<process>:<n>"), its session and when it opened. */
export interface SocketEntry {
  key: string;
  sessionId: string;
  orgId: string | null;
  /** Milliseconds since the epoch, by the clock of the process that holds it. */
  openedAt: number;
}

/** One open socket of a signed-in user. */
export interface Connection extends SocketEntry {
  readonly userId: string;
  /** The organisation the session acts in; null for platform (Super Admin) sessions. */
  readonly orgId: string | null;
  deliver(event: RealtimeEvent): void;
}

export interface Publisher {
  publish(event: RealtimeEvent): Promise<void>;
  close(): Promise<void>;
}

/** Which socket of a session gets its notifications, as every process sees it (redis.ts). */
export interface SessionChooser {
  /** The key of the chosen socket among the session's sockets in `orgId`, or undefined when none is known. */
  chosen(sessionId: string, orgId: string | null): string | undefined;
}

/** Told when this process's hub gains or loses a connection (the fleet directory announces it). */
export interface HubObserver {
  opened(connection: Connection): void;
  closed(connection: Connection): void;
}

/** `a` was opened after `b`: later time, then the greater key (one order for every process). */
export const openedAfter = (a: SocketEntry, b: SocketEntry): boolean => (a.openedAt !== b.openedAt ? a.openedAt > b.openedAt : a.key > b.key);

/** A session acting in another organisation does not receive an organisation's event; platform events reach every session. */
export const orgMatches = (eventOrg: string | null, socketOrg: string | null): boolean => eventOrg === null || socketOrg === null || eventOrg === socketOrg;

export class Hub {
  /** This process, in socket keys: random, so that keys never collide across processes and restarts. */
  readonly process = randomBytes(8).toString('hex');
  private seq = 0;
  private readonly byUser = new Map<string, Set<Connection>>();
  observer: HubObserver | undefined;

  /** A key for a new connection of this process (zero-padded: later keys of a process compare greater). */
  newKey(): string {
    return `${this.process}:${String(++this.seq).padStart(12, '0')}`;
  }

  isOwn(key: string): boolean {
    return key.startsWith(`${this.process}:`);
  }

  add(connection: Connection): void {
    let set = this.byUser.get(connection.userId);
    if (!set) this.byUser.set(connection.userId, (set = new Set()));
    set.add(connection);
    this.observer?.opened(connection);
  }

  remove(connection: Connection): void {
    const set = this.byUser.get(connection.userId);
    if (!set?.delete(connection)) return;
    if (set.size === 0) this.byUser.delete(connection.userId);
    this.observer?.closed(connection);
  }

  /** Connections open in this process (all users). */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** Every connection of this process (for the fleet directory's presence). */
  *connections(): Iterable<Connection> {
    for (const set of this.byUser.values()) yield* set;
  }

  /**
   * Hands an event to the recipient's connections in this process: an unread count to each, a
   * notification to one per session (see the top of this file). `fleet` chooses across
   * processes; without it (one process, or an event that never went through Redis) the newest
   * socket of each session here is chosen.
   */
  deliver(event: RealtimeEvent, fleet?: SessionChooser): number {
    const set = this.byUser.get(event.userId);
    if (!set) return 0;
    const targets = [...set].filter((c) => orgMatches(event.orgId, c.orgId));
    const chosen = event.type === 'notification' ? this.chooseOnePerSession(targets.filter((c) => !event.sessionId || c.sessionId === event.sessionId), event.orgId, fleet) : targets;
    let delivered = 0;
    for (const connection of chosen) {
      try {
        connection.deliver(event);
        delivered++;
      } catch {
        // A socket that fails to take a frame is closed by its own error handling.
      }
    }
    return delivered;
  }

  private chooseOnePerSession(connections: Connection[], orgId: string | null, fleet: SessionChooser | undefined): Connection[] {
    const newestHere = new Map<string, Connection>();
    for (const c of connections) {
      const current = newestHere.get(c.sessionId);
      if (!current || openedAfter(c, current)) newestHere.set(c.sessionId, c);
    }
    const chosen: Connection[] = [];
    for (const [sessionId, newest] of newestHere) {
      const key = fleet?.chosen(sessionId, orgId);
      // Unknown to the fleet (its announcement is on its way, or Redis was away): this process decides.
      if (key === undefined) chosen.push(newest);
      else if (this.isOwn(key)) {
        // Ours: that socket, or, if it has closed here and its close is still on its way to the
        // other processes (which leave the session to us meanwhile), the newest one left here.
        chosen.push(connections.find((c) => c.key === key) ?? newest);
      }
      // Else another process holds the session's newest socket and delivers there.
    }
    return chosen;
  }
}

/** Single-process delivery: publishing is delivering. */
export class LocalPublisher implements Publisher {
  constructor(private readonly hub: Hub) {}
  async publish(event: RealtimeEvent): Promise<void> {
    this.hub.deliver(event);
  }
  async close(): Promise<void> {}
}

const isOrg = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** Parses an event received from another process; anything malformed is dropped. */
export function parseEvent(value: unknown): RealtimeEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Partial<Record<string, unknown>>;
  if (typeof e.userId !== 'string' || !isOrg(e.orgId)) return undefined;
  if (e.type === 'notification' && typeof e.notification === 'object' && e.notification !== null && (e.sessionId === undefined || typeof e.sessionId === 'string')) {
    return value as RealtimeEvent;
  }
  if (e.type === 'unread_count' && typeof e.count === 'number') return value as RealtimeEvent;
  return undefined;
}

export function isSocketEntry(value: unknown): value is SocketEntry {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Record<string, unknown>>;
  return typeof s.key === 'string' && typeof s.sessionId === 'string' && isOrg(s.orgId) && typeof s.openedAt === 'number';
}
