// Counters over fixed time windows, used for login protection (failures per e-mail and IP) and
// request throttling. In-process by default; with REDIS_URL shared by every process through Redis
// (src/core/http/rate-limit-redis.ts).

export interface LimitState {
  count: number;
  /** Seconds until the window resets. */
  resetIn: number;
}

export interface CounterStore {
  increment(key: string, windowMs: number): Promise<LimitState>;
  get(key: string): Promise<LimitState>;
  reset(key: string): Promise<void>;
  /** Releases connections, if any. */
  close?(): Promise<void>;
}

export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  async increment(key: string, windowMs: number): Promise<LimitState> {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
      if (this.windows.size > 100_000) this.sweep(now);
    }
    w.count += 1;
    return { count: w.count, resetIn: Math.ceil((w.resetAt - now) / 1000) };
  }

  async get(key: string): Promise<LimitState> {
    const now = Date.now();
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now) return { count: 0, resetIn: 0 };
    return { count: w.count, resetIn: Math.ceil((w.resetAt - now) / 1000) };
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  private sweep(now: number) {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}
