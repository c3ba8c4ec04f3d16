import { describe, expect, it } from 'vitest';
import type { Actor } from '../http/auth.ts';
import { ActorCache, parseScope } from './actor-cache.ts';

const actor = (n: number, over: Partial<Actor> = {}): Actor => ({
  userId: `u${n}`, sessionId: `s${n}`, email: `${n}@x.test`, firstName: '', lastName: '', isSuperuser: false,
  orgId: 'o1', orgName: 'Org', sessionOrgId: 'o1', membershipRole: 'member', roleId: `r${n % 2}`, roleName: 'Role', permissions: new Set(['a:b']), ...over,
});
const entry = (n: number, over: Partial<Actor> = {}) => ({ actor: actor(n, over), expiresAt: Date.now() + 60_000, lastSeenAt: Date.now() });

describe('ActorCache', () => {
  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new ActorCache({ ttlMs: 60_000, maxEntries: 2 });
    cache.set('a', cache.mark(), entry(1));
    cache.set('b', cache.mark(), entry(2));
    expect(cache.get('a')).toBeDefined(); // 'b' is now the least recently used
    cache.set('c', cache.mark(), entry(3));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.actor.userId).toBe('u1');
    expect(cache.get('c')?.actor.userId).toBe('u3');
  });

  it('forgets entries older than the TTL, and stores nothing with a TTL of 0', () => {
    const cache = new ActorCache({ ttlMs: 1000, maxEntries: 10 });
    cache.set('a', cache.mark(), entry(1), 0);
    expect(cache.get('a', 999)).toBeDefined();
    expect(cache.get('a', 1000)).toBeUndefined();
    const off = new ActorCache({ ttlMs: 0, maxEntries: 10 });
    off.set('a', off.mark(), entry(1));
    expect(off.size).toBe(0);
  });

  it('does not store a lookup that started before an invalidation', () => {
    const cache = new ActorCache({ ttlMs: 60_000, maxEntries: 10 });
    const mark = cache.mark();
    cache.drop({ kind: 'user', id: 'nobody' });
    cache.set('a', mark, entry(1));
    expect(cache.get('a')).toBeUndefined();
  });

  it('drops by session (both keys), user, role and organisation', () => {
    const cache = new ActorCache({ ttlMs: 60_000, maxEntries: 10 });
    const fill = () => {
      cache.clear();
      cache.set('sid:s1', cache.mark(), entry(1));
      cache.set('tok:x', cache.mark(), entry(1));
      cache.set('sid:s2', cache.mark(), entry(2, { orgId: 'o2' }));
      cache.set('sid:s3', cache.mark(), entry(3));
    };
    fill();
    expect(cache.drop({ kind: 'session', id: 's1' })).toBe(2);
    fill();
    expect(cache.drop({ kind: 'user', id: 'u2' })).toBe(1);
    fill();
    expect(cache.drop({ kind: 'role', id: 'r1' })).toBe(3); // u1 (twice) and u3
    fill();
    expect(cache.drop({ kind: 'org', id: 'o2' })).toBe(1);
    expect(cache.size).toBe(3);
  });

  it('neither serves nor stores while not listening', () => {
    const cache = new ActorCache({ ttlMs: 60_000, maxEntries: 10 });
    cache.set('a', cache.mark(), entry(1));
    cache.setListening(false);
    expect(cache.get('a')).toBeUndefined();
    cache.set('b', cache.mark(), entry(2));
    cache.setListening(true);
    expect(cache.size).toBe(0);
  });

  it('publishes invalidations and survives a failing publisher', async () => {
    const sent: unknown[] = [];
    const errors: Error[] = [];
    const cache = new ActorCache({ ttlMs: 60_000, maxEntries: 10, onError: (e) => errors.push(e) });
    cache.setPublisher(async (scope) => void sent.push(scope));
    await cache.invalidate({ kind: 'org', id: 'o1' });
    cache.setPublisher(async () => Promise.reject(new Error('down')));
    cache.set('a', cache.mark(), entry(1));
    await cache.invalidate({ kind: 'all' });
    expect(sent).toEqual([{ kind: 'org', id: 'o1' }]);
    expect(errors.map((e) => e.message)).toEqual(['down']);
    expect(cache.size).toBe(0);
  });

  it('reads only well-formed scopes from other processes', () => {
    expect(parseScope({ kind: 'user', id: 'u1' })).toEqual({ kind: 'user', id: 'u1' });
    expect(parseScope({ kind: 'all' })).toEqual({ kind: 'all' });
    expect(parseScope({ kind: 'user' })).toBeUndefined();
    expect(parseScope({ kind: 'everything', id: 'x' })).toBeUndefined();
    expect(parseScope('user')).toBeUndefined();
    expect(parseScope({ kind: 'membership', userId: '7', orgId: '3' })).toEqual({ kind: 'membership', userId: '7', orgId: '3' });
    expect(parseScope({ kind: 'membership', userId: '7' })).toBeUndefined();
    expect(parseScope({ kind: 'membership', userId: 'x', orgId: '3' })).toBeUndefined();
  });

  it('drops one person\'s view of one organisation only', () => {
    const cache = new ActorCache({ ttlMs: 60_000, maxEntries: 10 });
    cache.set('a', cache.mark(), entry(1, { userId: 'p', orgId: 'o1' }));
    cache.set('b', cache.mark(), entry(2, { userId: 'p', orgId: 'o2' }));
    cache.set('c', cache.mark(), entry(3, { userId: 'q', orgId: 'o1' }));
    expect(cache.drop({ kind: 'membership', userId: 'p', orgId: 'o1' })).toBe(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });
});
