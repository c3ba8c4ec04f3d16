// Which socket of an auth session gets a live notification, without sockets or Redis: the hub's
// choice in one process (the newest of each session; unread counts to every socket), and the
// fleet directory that makes the same choice in every process (announcements, presence lists,
// goodbyes, processes that went silent).
import { describe, expect, it } from 'vitest';
import { Hub, type Connection, type RealtimeEvent } from '../../src/core/realtime/hub.ts';
import { FleetDirectory, parseFleetMessage } from '../../src/core/realtime/redis.ts';

class FakeSocket implements Connection {
  readonly got: RealtimeEvent[] = [];
  constructor(
    readonly key: string,
    readonly sessionId: string,
    readonly openedAt: number,
    readonly userId = '7',
    readonly orgId: string | null = '1',
  ) {}
  deliver(event: RealtimeEvent): void {
    this.got.push(event);
  }
}

const notification = (sessionId?: string): RealtimeEvent => ({ type: 'notification', userId: '7', orgId: '1', notification: { id: '1' }, ...(sessionId ? { sessionId } : {}) });

describe('the hub of one process', () => {
  it('gives a notification to the newest socket of each session, and an unread count to every socket', () => {
    const hub = new Hub();
    const [a1, a2, a3] = [new FakeSocket(hub.newKey(), 's-a', 1000), new FakeSocket(hub.newKey(), 's-a', 3000), new FakeSocket(hub.newKey(), 's-a', 2000)];
    const b1 = new FakeSocket(hub.newKey(), 's-b', 500);
    const elsewhere = new FakeSocket(hub.newKey(), 's-c', 9000, '7', '2'); // the same user acting in another organisation
    for (const s of [a1, a2, a3, b1, elsewhere]) hub.add(s);
    expect(hub.deliver(notification())).toBe(2);
    expect([a1, a2, a3, b1, elsewhere].map((s) => s.got.length)).toEqual([0, 1, 0, 1, 0]);

    hub.remove(a2);
    hub.deliver(notification());
    expect([a1, a3].map((s) => s.got.length)).toEqual([0, 1]); // the next most recent takes over

    expect(hub.deliver({ type: 'unread_count', userId: '7', orgId: '1', count: 3 })).toBe(3);
    // A hand-over reaches only its session.
    expect(hub.deliver(notification('s-b'))).toBe(1);
    expect(b1.got).toHaveLength(4);
  });

  it('breaks a tie of opening times by key, later keys of a process being greater', () => {
    const hub = new Hub();
    const keys = Array.from({ length: 11 }, () => hub.newKey());
    expect([...keys].sort()).toEqual(keys); // "…:10" sorts after "…:9"
    const sockets = keys.map((k) => new FakeSocket(k, 's', 1000));
    for (const s of sockets) hub.add(s);
    hub.deliver(notification());
    expect(sockets.map((s) => s.got.length)).toEqual([...Array(10).fill(0), 1]);
  });

  it('follows the fleet: another process\'s newer socket takes it; its own closed choice falls back to the newest left here', () => {
    const hub = new Hub();
    const fleet = new FleetDirectory(hub.process, 30_000);
    const old = new FakeSocket(hub.newKey(), 's', 1000);
    const mine = new FakeSocket(hub.newKey(), 's', 2000);
    hub.add(old);
    hub.add(mine);
    for (const s of [old, mine]) fleet.apply({ type: 'socket_open', process: hub.process, socket: s });
    fleet.apply({ type: 'socket_open', process: 'other', socket: { key: 'other:1', sessionId: 's', orgId: '1', openedAt: 5000 } });
    expect(hub.deliver(notification(), fleet)).toBe(0);

    fleet.apply({ type: 'socket_close', process: 'other', key: 'other:1' });
    expect(hub.deliver(notification(), fleet)).toBe(1);
    expect(mine.got).toHaveLength(1);

    hub.remove(mine); // its close has not come round the channel yet
    expect(hub.deliver(notification(), fleet)).toBe(1);
    expect(old.got).toHaveLength(1);

    // A session the fleet knows nothing of: this process decides.
    const fresh = new FakeSocket(hub.newKey(), 's-new', 100);
    hub.add(fresh);
    hub.deliver({ ...notification(), userId: '7' }, fleet);
    expect(fresh.got).toHaveLength(1);
  });
});

describe('the fleet directory', () => {
  it('chooses the newest live socket of a session in the organisation, across processes', () => {
    let now = 0;
    const fleet = new FleetDirectory('me', 30_000, () => now);
    fleet.apply({ type: 'socket_open', process: 'me', socket: { key: 'me:1', sessionId: 's', orgId: '1', openedAt: 100 } });
    fleet.apply({ type: 'socket_open', process: 'p', socket: { key: 'p:1', sessionId: 's', orgId: '1', openedAt: 200 } });
    fleet.apply({ type: 'socket_open', process: 'p', socket: { key: 'p:2', sessionId: 's', orgId: '2', openedAt: 300 } });
    expect(fleet.chosen('s', '1')).toBe('p:1');
    expect(fleet.chosen('s', null)).toBe('p:2'); // a platform notification: any organisation
    expect(fleet.chosen('unknown', '1')).toBeUndefined();
    expect(fleet.countOf('p')).toBe(2);

    // A presence list replaces what was known of that process.
    fleet.apply({ type: 'presence', process: 'p', sockets: [{ key: 'p:3', sessionId: 's', orgId: '1', openedAt: 50 }] });
    expect(fleet.countOf('p')).toBe(1);
    expect(fleet.chosen('s', '1')).toBe('me:1');
    fleet.apply({ type: 'presence', process: 'p', sockets: [{ key: 'p:4', sessionId: 's', orgId: '1', openedAt: 400 }] });
    expect(fleet.chosen('s', '1')).toBe('p:4');

    // A process not heard of for the stale time (it died) holds nothing; ours never goes stale.
    now = 30_001;
    expect(fleet.chosen('s', '1')).toBe('me:1');
    fleet.apply({ type: 'alive', process: 'p', count: 1 });
    expect(fleet.chosen('s', '1')).toBe('p:4');
    now = 70_000;
    fleet.purge();
    expect(fleet.countOf('p')).toBe(0);
    expect(fleet.countOf('me')).toBe(1);

    fleet.apply({ type: 'socket_open', process: 'q', socket: { key: 'q:1', sessionId: 's', orgId: '1', openedAt: 999 } });
    expect(fleet.chosen('s', '1')).toBe('q:1');
    fleet.apply({ type: 'bye', process: 'q' });
    expect(fleet.chosen('s', '1')).toBe('me:1');
  });

  it('drops malformed messages', () => {
    expect(parseFleetMessage({ type: 'socket_open', process: 'p', socket: { key: 'k', sessionId: 's', orgId: 1, openedAt: 1 } })).toBeUndefined();
    expect(parseFleetMessage({ type: 'presence', process: 'p', sockets: [{}] })).toBeUndefined();
    expect(parseFleetMessage({ type: 'alive', process: 'p' })).toBeUndefined();
    expect(parseFleetMessage({ type: 'nonsense', process: 'p' })).toBeUndefined();
    expect(parseFleetMessage({ type: 'bye', process: 'p' })).toEqual({ type: 'bye', process: 'p' });
  });
});
