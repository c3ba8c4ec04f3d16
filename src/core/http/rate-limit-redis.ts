// Window counters shared by every process through Redis (REDIS_URL), so that a login budget is
// one budget however many processes serve: INCR and the window's expiry in one Lua script
// (atomic, one round trip). When Redis does not answer, counting goes on in this process's
// memory (a warning is logged once per outage) — login keeps working, never a 500 — and returns
// to Redis once it answers again.
import { Redis } from 'ioredis';
import { MemoryCounterStore, type CounterStore, type LimitState } from './rate-limit.ts';

const PREFIX = 'prs:counter:';

// Returns the count and the window's remaining milliseconds; a key that somehow lost its
// expiry gets the window again rather than counting forever.
const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

const state = (count: number, ttlMs: number): LimitState => ({ count, resetIn: count > 0 && ttlMs > 0 ? Math.ceil(ttlMs / 1000) : 0 });

export class RedisCounterStore implements CounterStore {
  private readonly redis: Redis;

  constructor(url: string, onError: (err: Error) => void) {
    // No offline queue and a short timeout: a login must not wait for an absent Redis.
    this.redis = new Redis(url, { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000 });
    this.redis.on('error', onError);
  }

  async increment(key: string, windowMs: number): Promise<LimitState> {
    const [count, ttl] = (await this.redis.eval(INCREMENT, 1, PREFIX + key, String(windowMs))) as [number, number];
    return state(count, ttl);
  }

  async get(key: string): Promise<LimitState> {
    const result = await this.redis.multi().get(PREFIX + key).pttl(PREFIX + key).exec();
    if (!result) throw new Error('Redis transaction aborted');
    for (const [err] of result) if (err) throw err;
    return state(Number(result[0]![1] ?? 0), Number(result[1]![1]));
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(PREFIX + key);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** Redis when it answers, else this process's memory. */
export class FallbackCounterStore implements CounterStore {
  private readonly memory = new MemoryCounterStore();
  private failing = false;

  constructor(
    private readonly shared: CounterStore,
    private readonly warn: (message: string, err: Error) => void,
  ) {}

  private async either<T>(op: (store: CounterStore) => Promise<T>): Promise<T> {
    try {
      const value = await op(this.shared);
      this.failing = false;
      return value;
    } catch (err) {
      if (!this.failing) this.warn('Redis counters unavailable; counting logins in this process until Redis answers', err as Error);
      this.failing = true;
      return op(this.memory);
    }
  }

  increment(key: string, windowMs: number) {
    return this.either((s) => s.increment(key, windowMs));
  }

  get(key: string) {
    return this.either((s) => s.get(key));
  }

  reset(key: string) {
    return this.either((s) => s.reset(key));
  }

  async close(): Promise<void> {
    await this.shared.close?.();
  }
}

/** The counters for a configuration: shared through Redis when REDIS_URL is set. */
export function counterStoreFor(redisUrl: string | undefined, warn: (message: string, err: Error) => void): CounterStore {
  if (!redisUrl) return new MemoryCounterStore();
  // Connection errors surface through the commands that fail; the fallback warns once per outage.
  return new FallbackCounterStore(new RedisCounterStore(redisUrl, () => undefined), warn);
}
