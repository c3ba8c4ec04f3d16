// Cross-process fan-out through Redis pub/sub: every process publishes its events on one channel
// and delivers what it receives to its own hub (its own events included, exactly once).
//
// Redis only carries live pushes; notifications live in the database. So a Redis that is down
// (at start or later) degrades delivery instead of stopping the process: the clients keep
// reconnecting in the background, events meanwhile reach this process's own sockets directly,
// and GET /api/health/ answers 503 until Redis is back (see ping()).
import { redisPair } from './redis-pair.ts';
import { Redis } from 'ioredis';
import { parseEvent, type Hub, type Publisher, type RealtimeEvent } from './hub.ts';

export const REALTIME_CHANNEL = 'prs:realtime:v1';

export class RedisPublisher implements Publisher {
  private readonly pub: Redis;
  private readonly sub: Redis;

  private constructor(url: string, private readonly hub: Hub, onError: (err: Error) => void) {
    ({ pub: this.pub, sub: this.sub } = redisPair(url, onError));
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== REALTIME_CHANNEL) return;
      const event = parseEvent(text);
      if (event) hub.deliver(event);
    });
  }

  /**
   * Connects both clients and subscribes before resolving, so no event published after start is
   * missed. When Redis does not answer, resolves anyway (after reporting it through `onError`):
   * the clients keep retrying and the subscription is made on the first successful connection.
   */
  static async connect(url: string, hub: Hub, onError: (err: Error) => void = () => undefined): Promise<RedisPublisher> {
    const publisher = new RedisPublisher(url, hub, onError);
    try {
      await Promise.all([publisher.pub.connect(), publisher.sub.connect()]);
      await publisher.sub.subscribe(REALTIME_CHANNEL);
    } catch (err) {
      onError(new Error(`Redis at REDIS_URL is not reachable (${(err as Error).message}); live delivery stays within this process until it is`, { cause: err }));
      // ioredis re-subscribes after reconnects only to channels it once subscribed to.
      const subscribe = () => void publisher.sub.subscribe(REALTIME_CHANNEL).catch((e: unknown) => onError(e as Error));
      if (publisher.sub.status === 'ready') subscribe();
      else publisher.sub.once('ready', subscribe);
    }
    return publisher;
  }

  async publish(event: RealtimeEvent): Promise<void> {
    // Not connected: queueing would hold the request that notified for the reconnect attempts,
    // and other processes cannot be reached anyway. This process's sockets still get it.
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
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
