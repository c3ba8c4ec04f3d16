// Carries actor-cache invalidations between processes over Redis pub/sub, set up like the
// notification fan-out (src/core/realtime/redis.ts): one publishing and one subscribed connection.
// It has connections of its own because the realtime subscriber hands every message to the
// notification hub.
//
// A process that cannot hear invalidations must not trust its cache: whenever the subscription
// is down (at start, during an outage) `onListening(false)` is reported and the cache is emptied
// and bypassed; it is used again only once the channel is subscribed anew. A Redis outage thus
// costs the actor query per request, never a revoked session served from memory.
import { redisPair } from '../realtime/redis-pair.ts';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { parseScope, type ActorScope } from './actor-cache.ts';

export const ACTOR_CACHE_CHANNEL = 'prs:actor-cache:v1';

export interface InvalidationHandlers {
  onScope(scope: ActorScope): void;
  onListening(listening: boolean): void;
  onError(err: Error): void;
}

export class RedisActorInvalidations {
  private readonly pub: Redis;
  private readonly sub: Redis;
  // Redis also delivers a process's own messages; the origin lets it skip what it already dropped.
  private readonly origin = randomUUID();

  private constructor(url: string, private readonly handlers: InvalidationHandlers) {
    ({ pub: this.pub, sub: this.sub } = redisPair(url, (err) => handlers.onError(err)));
    // 'ready' comes before ioredis re-subscribes after a reconnect: subscribe explicitly (a repeat
    // is harmless) and trust the cache again only once Redis confirmed it.
    this.sub.on('ready', () => void this.subscribe().catch(() => undefined));
    this.sub.on('close', () => handlers.onListening(false));
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== ACTOR_CACHE_CHANNEL) return;
      const scope = this.parse(text);
      if (scope) handlers.onScope(scope);
    });
  }

  /** Connects and subscribes before resolving when Redis answers; otherwise keeps retrying in the background. */
  static async connect(url: string, handlers: InvalidationHandlers): Promise<RedisActorInvalidations> {
    handlers.onListening(false);
    const bus = new RedisActorInvalidations(url, handlers);
    try {
      await Promise.all([bus.pub.connect(), bus.sub.connect()]);
      await bus.subscribe();
    } catch (err) {
      handlers.onError(new Error(`Redis at REDIS_URL is not reachable (${(err as Error).message}); sessions are read on every request until it is`, { cause: err }));
    }
    return bus;
  }

  private async subscribe(): Promise<void> {
    try {
      await this.sub.subscribe(ACTOR_CACHE_CHANNEL);
      if (this.sub.status === 'ready') this.handlers.onListening(true);
    } catch (err) {
      this.handlers.onError(err as Error);
      throw err;
    }
  }

  async publish(scope: ActorScope): Promise<void> {
    const sent = this.pub.publish(ACTOR_CACHE_CHANNEL, JSON.stringify({ origin: this.origin, scope }));
    if (this.pub.status === 'ready') {
      await sent;
      return;
    }
    // Not connected: the offline queue sends it on reconnect. Waiting would hold the request for
    // the reconnect attempts; processes that lost Redis too have stopped caching meanwhile.
    sent.catch((err: unknown) => this.handlers.onError(err as Error));
  }

  private parse(text: string): ActorScope | undefined {
    try {
      const message = JSON.parse(text) as { origin?: unknown; scope?: unknown } | null;
      if (!message || message.origin === this.origin) return undefined;
      return parseScope(message.scope);
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
