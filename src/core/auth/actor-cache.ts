// In-process cache of resolved actors (user, membership, role, permission set), so that an
// authenticated request does not spend a system transaction re-reading its session. Entries are
// keyed by session id (JWTs) or token hash (opaque tokens), live at most `ttlMs`, and the least
// recently used are dropped beyond `maxEntries`. Correctness does not rest on the TTL: every
// write that can narrow what a session may do calls `invalidateActors` (listed in
// docs/decisions.md), which drops the affected entries once the write has committed, here and,
// through Redis, in every other process. The TTL only bounds what nothing announces (direct SQL,
// the CLI, a lost Redis message).
import type { AfterCommit } from '../http/after-commit.ts';
import type { Actor } from './actor.ts';

/** Whose cached actors to drop. 'all' is for rare platform-wide changes. */
export type ActorScope =
  | { kind: 'session' | 'user' | 'role' | 'org'; id: string }
  /** One person's view of one organisation (a membership changed or ended). */
  | { kind: 'membership'; userId: string; orgId: string }
  | { kind: 'all' };

export interface CachedActor {
  readonly actor: Actor;
  /** The session's own expiry (ms since the epoch), checked on every request. */
  readonly expiresAt: number;
  /** When last_seen_at was last written (ms), so the 5-minute refresh keeps working from the cache. */
  lastSeenAt: number;
}

interface Entry extends CachedActor {
  readonly storedAt: number;
}

export interface ActorCacheOptions {
  ttlMs: number;
  maxEntries: number;
  /** Sends an invalidation to the other processes (Redis); absent in a single process. */
  publish?: ((scope: ActorScope) => Promise<void>) | undefined;
  onError?: ((err: Error) => void) | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolved actors of this process (src/core/auth/actor-cache.ts). */
    actorCache: ActorCache;
  }
}

export class ActorCache {
  // A Map iterates in insertion order; re-inserting on every hit makes the first key the least recently used.
  private readonly entries = new Map<string, Entry>();
  // Bumped by every invalidation. A lookup records it before reading the database and stores its
  // result only if it is unchanged, so a read that raced a revocation can never re-fill the cache.
  private generation = 0;
  // While the process cannot hear other processes' invalidations (Redis down) it neither serves nor stores entries.
  private listening = true;

  constructor(private readonly options: ActorCacheOptions) {}

  get enabled(): boolean {
    return this.options.ttlMs > 0 && this.options.maxEntries > 0;
  }

  /** False empties the cache and bypasses it until true (see actor-cache-redis.ts). */
  setListening(listening: boolean): void {
    if (!listening) this.clear();
    this.listening = listening;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Sets (or replaces) the cross-process publisher once Redis is connected. */
  setPublisher(publish: ((scope: ActorScope) => Promise<void>) | undefined): void {
    this.options.publish = publish;
  }

  /** Taken before the database read whose result may be stored with `set`. */
  mark(): number {
    return this.generation;
  }

  get(key: string, now = Date.now()): CachedActor | undefined {
    const entry = this.entries.get(key);
    if (!entry || !this.listening) return undefined;
    this.entries.delete(key);
    if (now - entry.storedAt >= this.options.ttlMs) return undefined;
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, mark: number, value: CachedActor, now = Date.now()): void {
    if (!this.enabled || !this.listening || mark !== this.generation) return;
    this.entries.delete(key);
    this.entries.set(key, { ...value, actor: Object.freeze({ ...value.actor }), storedAt: now });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops the matching entries of this process only (what a message from another process asks). */
  drop(scope: ActorScope): number {
    this.generation++;
    if (scope.kind === 'all') {
      const n = this.entries.size;
      this.entries.clear();
      return n;
    }
    // A linear scan: invalidations are rare next to lookups, and the cache is bounded, so no
    // secondary indexes (user → keys, role → keys) need to be kept in step.
    let dropped = 0;
    for (const [key, { actor }] of this.entries) {
      const hit =
        scope.kind === 'session' ? actor.sessionId === scope.id
        : scope.kind === 'user' ? actor.userId === scope.id
        : scope.kind === 'role' ? actor.roleId === scope.id
        : scope.kind === 'membership' ? actor.userId === scope.userId && actor.orgId === scope.orgId
        : actor.orgId === scope.id;
      if (hit) {
        this.entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops the matching entries here and in every other process. */
  async invalidate(scope: ActorScope): Promise<void> {
    this.drop(scope);
    if (!this.options.publish) return;
    try {
      await this.options.publish(scope);
    } catch (err) {
      // The local entries are gone; other processes fall back on the TTL.
      this.options.onError?.(err as Error);
    }
  }

  clear(): void {
    this.drop({ kind: 'all' });
  }
}

/**
 * Drops the cached actors in `scope` once the surrounding transaction has committed (never
 * before: a request reading the old rows in between would cache them again). Contexts without
 * `afterCommit` (CLI, seeding) run where no cache serves requests.
 */
export function invalidateActors(ctx: { afterCommit?: AfterCommit | undefined }, scope: ActorScope): void {
  ctx.afterCommit?.add((app) => app.actorCache.invalidate(scope));
}

/** Reads a scope sent by another process; anything malformed is ignored. */
export function parseScope(value: unknown): ActorScope | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, id, userId, orgId } = value as { kind?: unknown; id?: unknown; userId?: unknown; orgId?: unknown };
  if (kind === 'all') return { kind };
  if (kind === 'membership') {
    const idLike = (v: unknown): v is string => typeof v === 'string' && /^[0-9]{1,19}$/.test(v);
    return idLike(userId) && idLike(orgId) ? { kind, userId, orgId } : undefined;
  }
  if ((kind === 'session' || kind === 'user' || kind === 'role' || kind === 'org') && typeof id === 'string' && id.length <= 100) return { kind, id };
  return undefined;
}
