// Live delivery to WebSocket connections, keyed by user id. Producers never talk to sockets:
// they publish events to a Publisher, and every process's hub delivers the events meant for the
// connections it holds. In one process the publisher is the hub itself; with REDIS_URL it is
// Redis pub/sub (see redis.ts), so an event published anywhere reaches every process.

/** What travels between processes: small, JSON-serialisable, addressed to one user. */
export type RealtimeEvent =
  | { type: 'notification'; userId: string; orgId: string | null; notification: Record<string, unknown> }
  | { type: 'unread_count'; userId: string; orgId: string | null; count: number };

/** One open socket of a signed-in user. */
export interface Connection {
  readonly userId: string;
  /** The organisation the session acts in; null for platform (Super Admin) sessions. */
  readonly orgId: string | null;
  deliver(event: RealtimeEvent): void;
}

export interface Publisher {
  publish(event: RealtimeEvent): Promise<void>;
  close(): Promise<void>;
}

export class Hub {
  private readonly byUser = new Map<string, Set<Connection>>();

  add(connection: Connection): void {
    let set = this.byUser.get(connection.userId);
    if (!set) this.byUser.set(connection.userId, (set = new Set()));
    set.add(connection);
  }

  remove(connection: Connection): void {
    const set = this.byUser.get(connection.userId);
    if (!set) return;
    set.delete(connection);
    if (set.size === 0) this.byUser.delete(connection.userId);
  }

  /** Connections open in this process (all users). */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /**
   * Hands an event to the recipient's connections in this process. A session acting in another
   * organisation does not receive it (it reads it there); platform events reach every session.
   */
  deliver(event: RealtimeEvent): number {
    const set = this.byUser.get(event.userId);
    if (!set) return 0;
    let delivered = 0;
    for (const connection of set) {
      if (event.orgId !== null && connection.orgId !== null && connection.orgId !== event.orgId) continue;
      try {
        connection.deliver(event);
        delivered++;
      } catch {
        // A socket that fails to take a frame is closed by its own error handling.
      }
    }
    return delivered;
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

/** Parses an event received from another process; anything malformed is dropped. */
export function parseEvent(text: string): RealtimeEvent | undefined {
  try {
    const value = JSON.parse(text) as Partial<RealtimeEvent>;
    if (typeof value !== 'object' || value === null || typeof value.userId !== 'string') return undefined;
    if (value.orgId !== null && typeof value.orgId !== 'string') return undefined;
    if (value.type === 'notification' && typeof value.notification === 'object' && value.notification !== null) return value as RealtimeEvent;
    if (value.type === 'unread_count' && typeof value.count === 'number') return value as RealtimeEvent;
    return undefined;
  } catch {
    return undefined;
  }
}
