// Cross-process fan-out through Redis pub/sub: every process publishes its events on one channel
// and delivers what it receives to its own hub (its own events included, exactly once).
import { Redis } from 'ioredis';
import { parseEvent, type Hub, type Publisher, type RealtimeEvent } from './hub.ts';

export const REALTIME_CHANNEL = 'prs:realtime:v1';

export class RedisPublisher implements Publisher {
  private readonly pub: Redis;
  private readonly sub: Redis;

  private constructor(url: string, hub: Hub, onError: (err: Error) => void) {
    const options = { lazyConnect: true, maxRetriesPerRequest: 3, enableOfflineQueue: true };
    this.pub = new Redis(url, options);
    this.sub = new Redis(url, options);
    this.pub.on('error', onError);
    this.sub.on('error', onError);
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== REALTIME_CHANNEL) return;
      const event = parseEvent(text);
      if (event) hub.deliver(event);
    });
  }

  /** Connects both clients and subscribes before resolving, so no event published after start is missed. */
  static async connect(url: string, hub: Hub, onError: (err: Error) => void = () => undefined): Promise<RedisPublisher> {
    const publisher = new RedisPublisher(url, hub, onError);
    try {
      await Promise.all([publisher.pub.connect(), publisher.sub.connect()]);
      await publisher.sub.subscribe(REALTIME_CHANNEL);
    } catch (err) {
      await publisher.close();
      throw new Error(`Redis at REDIS_URL is not reachable: ${(err as Error).message}`, { cause: err });
    }
    return publisher;
  }

  async publish(event: RealtimeEvent): Promise<void> {
    await this.pub.publish(REALTIME_CHANNEL, JSON.stringify(event));
  }

  async close(): Promise<void> {
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
