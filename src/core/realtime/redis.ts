// Cross-process fan-out through Redis pub/sub: every process publishes its events on one channel
// and delivers what it receives to its own hub (its own events included, exactly once).
//
// Redis only carries live pushes; notifications live in the database. So a Redis that is down
// (at start or later) degrades delivery instead of stopping the process: the clients keep
// reconnecting in the background, events meanwhile reach this process's own sockets directly,
// and GET /api/health/ answers 503 until Redis is back (see ping()).
//
// One socket per auth session receives a notification (hub.ts), chosen across processes: every
// process announces its sockets' opening and closing on the same channel as the events, and
// keeps the fleet's socket directory from what it reads there. Redis delivers one channel's
// messages to every subscriber in one order, so when an event arrives every process has applied
// the same announcements before it and picks the same socket: the newest of the session, on
// whichever process holds it. What keeps the directory right when messages are lost:
//   - every process says it is alive (with its socket count) every ALIVE_MS; a process not heard
//     of for 3 × ALIVE_MS (it died) no longer holds anything;
//   - a count that differs from the directory's, or a subscription that (re)starts, asks for the
//     full list (`presence`), which replaces that process's entries;
//   - a closing process says goodbye.
// Until such a repair a session may get an event twice (never on the same socket) or, while the
// directory names a socket of a process that died, not at all live: that notification stays
// unpushed and the next connect's catch-up delivers it (delivery.ts).
import { Redis } from 'ioredis';
import { isSocketEntry, openedAfter, orgMatches, parseEvent, type Connection, type Hub, type Publisher, type RealtimeEvent, type SessionChooser, type SocketEntry } from './hub.ts';
import { redisPair } from './redis-pair.ts';

export const REALTIME_CHANNEL = 'prs:realtime:v1';

/** How often a process says it is alive; it is presumed gone after three silent periods. */
export const ALIVE_MS = 10_000;

/** What processes tell each other about their sockets (on the events' channel, in their order). */
export type FleetMessage =
  | { type: 'socket_open'; process: string; socket: SocketEntry }
  | { type: 'socket_close'; process: string; key: string }
  | { type: 'presence'; process: string; sockets: SocketEntry[] }
  | { type: 'presence_request'; process: string; of: string | null }
  | { type: 'alive'; process: string; count: number }
  | { type: 'bye'; process: string };

export function parseFleetMessage(value: unknown): FleetMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Partial<Record<string, unknown>>;
  if (typeof m.process !== 'string') return undefined;
  switch (m.type) {
    case 'socket_open':
      return isSocketEntry(m.socket) ? (value as FleetMessage) : undefined;
    case 'socket_close':
      return typeof m.key === 'string' ? (value as FleetMessage) : undefined;
    case 'presence':
      return Array.isArray(m.sockets) && m.sockets.every(isSocketEntry) ? (value as FleetMessage) : undefined;
    case 'presence_request':
      return m.of === null || typeof m.of === 'string' ? (value as FleetMessage) : undefined;
    case 'alive':
      return typeof m.count === 'number' ? (value as FleetMessage) : undefined;
    case 'bye':
      return value as FleetMessage;
    default:
      return undefined;
  }
}

type Held = SocketEntry & { process: string };

/** The fleet's open sockets, as read from the channel; chooses a session's socket for the hub. */
export class FleetDirectory implements SessionChooser {
  private readonly sockets = new Map<string, Held>();
  private readonly bySession = new Map<string, Set<string>>();
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly self: string,
    private readonly staleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  apply(message: FleetMessage): void {
    if (message.process !== this.self) this.lastSeen.set(message.process, this.now());
    switch (message.type) {
      case 'socket_open':
        return this.put(message.process, message.socket);
      case 'socket_close':
        return this.drop(message.key);
      case 'presence':
        this.forget(message.process);
        for (const socket of message.sockets) this.put(message.process, socket);
        return;
      case 'bye':
        this.forget(message.process);
        this.lastSeen.delete(message.process);
        return;
      default:
        return;
    }
  }

  /** How many sockets the directory holds for a process. */
  countOf(process: string): number {
    let n = 0;
    for (const s of this.sockets.values()) if (s.process === process) n++;
    return n;
  }

  chosen(sessionId: string, orgId: string | null): string | undefined {
    const keys = this.bySession.get(sessionId);
    if (!keys) return undefined;
    let best: Held | undefined;
    for (const key of keys) {
      const s = this.sockets.get(key)!;
      if (!orgMatches(orgId, s.orgId) || this.isStale(s.process)) continue;
      if (!best || openedAfter(s, best)) best = s;
    }
    return best?.key;
  }

  /** Forgets the sockets of processes not heard of for `staleMs` (they died without a goodbye). */
  purge(): void {
    for (const process of [...this.lastSeen.keys()]) {
      if (this.isStale(process)) {
        this.forget(process);
        this.lastSeen.delete(process);
      }
    }
  }

  private isStale(process: string): boolean {
    if (process === this.self) return false;
    const seen = this.lastSeen.get(process);
    return seen === undefined || this.now() - seen > this.staleMs;
  }

  private put(process: string, socket: SocketEntry): void {
    this.drop(socket.key);
    this.sockets.set(socket.key, { key: socket.key, sessionId: socket.sessionId, orgId: socket.orgId, openedAt: socket.openedAt, process });
    let keys = this.bySession.get(socket.sessionId);
    if (!keys) this.bySession.set(socket.sessionId, (keys = new Set()));
    keys.add(socket.key);
  }

  private drop(key: string): void {
    const s = this.sockets.get(key);
    if (!s) return;
    this.sockets.delete(key);
    const keys = this.bySession.get(s.sessionId);
    keys?.delete(key);
    if (keys?.size === 0) this.bySession.delete(s.sessionId);
  }

  private forget(process: string): void {
    for (const s of [...this.sockets.values()]) if (s.process === process) this.drop(s.key);
  }
}

const entryOf = (c: Connection): SocketEntry => ({ key: c.key, sessionId: c.sessionId, orgId: c.orgId, openedAt: c.openedAt });

export interface RedisPublisherOptions {
  /** How often this process says it is alive (tests shorten it). */
  aliveMs?: number;
}

export class RedisPublisher implements Publisher {
  private readonly pub: Redis;
  private readonly sub: Redis;
  readonly directory: FleetDirectory;
  private readonly alive: NodeJS.Timeout;
  private presenceQueued = false;
  private closed = false;

  private constructor(
    url: string,
    private readonly hub: Hub,
    private readonly onError: (err: Error) => void,
    options: RedisPublisherOptions,
  ) {
    ({ pub: this.pub, sub: this.sub } = redisPair(url, onError));
    const aliveMs = options.aliveMs ?? ALIVE_MS;
    this.directory = new FleetDirectory(hub.process, 3 * aliveMs);
    this.sub.on('message', (channel: string, text: string) => {
      if (channel === REALTIME_CHANNEL) this.receive(text);
    });
    hub.observer = {
      opened: (c) => this.announce({ type: 'socket_open', process: hub.process, socket: entryOf(c) }),
      closed: (c) => this.announce({ type: 'socket_close', process: hub.process, key: c.key }),
    };
    // After an outage: what this process announced meanwhile was lost (tell everyone again), and
    // what the others announced was missed (ask them).
    // ioredis re-subscribes after a reconnect only to channels it once subscribed to, and only
    // after 'ready': subscribing here (again) covers a Redis that was away at start, and the
    // request goes out once the answers can be heard.
    this.pub.on('ready', () => this.queuePresence());
    this.sub.on('ready', () =>
      void this.sub.subscribe(REALTIME_CHANNEL).then(
        () => this.announce({ type: 'presence_request', process: hub.process, of: null }),
        (err: unknown) => onError(err as Error),
      ),
    );
    this.alive = setInterval(() => {
      this.directory.purge();
      this.announce({ type: 'alive', process: hub.process, count: hub.size });
    }, aliveMs);
    this.alive.unref();
  }

  /**
   * Connects both clients and subscribes before resolving, so no event published after start is
   * missed. When Redis does not answer, resolves anyway (after reporting it through `onError`):
   * the clients keep retrying and the subscription is made on the first successful connection.
   */
  static async connect(url: string, hub: Hub, onError: (err: Error) => void = () => undefined, options: RedisPublisherOptions = {}): Promise<RedisPublisher> {
    const publisher = new RedisPublisher(url, hub, onError, options);
    try {
      await Promise.all([publisher.pub.connect(), publisher.sub.connect()]);
      await publisher.sub.subscribe(REALTIME_CHANNEL);
    } catch (err) {
      // The subscriber's 'ready' handler subscribes once Redis answers.
      onError(new Error(`Redis at REDIS_URL is not reachable (${(err as Error).message}); live delivery stays within this process until it is`, { cause: err }));
    }
    return publisher;
  }

  private receive(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    const event = parseEvent(value);
    if (event) {
      this.hub.deliver(event, this.directory);
      return;
    }
    const message = parseFleetMessage(value);
    if (!message) return;
    this.directory.apply(message);
    if (message.process === this.hub.process) return;
    if (message.type === 'presence_request' && (message.of === null || message.of === this.hub.process)) this.queuePresence();
    // A count that differs means announcements were lost (that process's Redis was away): ask for its list.
    if (message.type === 'alive' && message.count !== this.directory.countOf(message.process)) {
      this.announce({ type: 'presence_request', process: this.hub.process, of: message.process });
    }
  }

  /** Publishes this process's full socket list, once for requests of the same moment. */
  private queuePresence(): void {
    if (this.presenceQueued) return;
    this.presenceQueued = true;
    setImmediate(() => {
      this.presenceQueued = false;
      this.announce({ type: 'presence', process: this.hub.process, sockets: [...this.hub.connections()].map(entryOf) });
    });
  }

  /** Best effort: while Redis is away nothing is queued; presence repairs the directory afterwards. */
  private announce(message: FleetMessage): void {
    if (this.closed || this.pub.status !== 'ready') return;
    this.pub.publish(REALTIME_CHANNEL, JSON.stringify(message)).catch((err: unknown) => this.onError(err as Error));
  }

  async publish(event: RealtimeEvent): Promise<void> {
    // Not connected: queueing would hold the request that notified for the reconnect attempts,
    // and other processes cannot be reached anyway. This process's sockets still get it (and
    // this process chooses each session's socket among its own).
    if (this.pub.status !== 'ready') {
      this.hub.deliver(event);
      return;
    }
    await this.pub.publish(REALTIME_CHANNEL, JSON.stringify(event));
  }

  /** Resolves when both connections are up and Redis answers PING within `timeoutMs`. */
  async ping(timeoutMs = 1000): Promise<void> {
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready') throw new Error(`Redis connection is ${this.pub.status}/${this.sub.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not answer PING in time')), timeoutMs);
    });
    try {
      await Promise.race([this.pub.ping(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.alive);
    if (this.hub.observer) this.hub.observer = undefined;
    if (this.pub.status === 'ready') {
      // The other processes stop counting on this one's sockets at once.
      await this.pub.publish(REALTIME_CHANNEL, JSON.stringify({ type: 'bye', process: this.hub.process } satisfies FleetMessage)).catch(() => undefined);
    }
    this.closed = true;
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
