// GET /api/health/ answers 503 when the process can no longer serve, not only when the database
// is down: no connection within HEALTH_DB_TIMEOUT_MS (pool exhausted or stuck), an event loop
// stalled beyond HEALTH_EVENT_LOOP_MAX_MS, or the process draining for shutdown. The checks and
// reasons say which.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  // No event-loop verdict here: on a loaded machine PGlite's queries (WebAssembly on this thread)
  // stall the loop for real; the stall test below has an application of its own.
  t = await createTestApp({ env: { HEALTH_DB_TIMEOUT_MS: '200', HEALTH_EVENT_LOOP_MAX_MS: '600000' } });
  await t.app.inject({ method: 'GET', url: '/api/health/' }); // the first answer compiles its serialiser
  t.app.health.start(); // as listening does (app.inject never listens)
});
afterAll(() => t.close());

const health = () => t.app.inject({ method: 'GET', url: '/api/health/' });

describe('health reflects whether the process can serve', () => {
  it('is ok with its checks when nothing is wrong', async () => {
    const res = await health();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', database: 'ok', checks: { database: 'ok', event_loop: 'ok', draining: false }, reasons: [] });
  });

  it('is 503 while no database connection can be had within the bound', async () => {
    // Hold every connection: PGlite's one, or the test pool's five on PostgreSQL (test/support/app.ts).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const holding = Promise.all(Array.from({ length: t.db.kind === 'postgres' ? 5 : 1 }, () => t.db.system(() => held)));
    try {
      const res = await health();
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'unhealthy', database: 'unavailable', checks: { database: 'timeout' } });
      expect(res.json().reasons).toEqual([expect.stringMatching(/no database connection within 200 ms/)]);
    } finally {
      release();
      await holding;
    }
    expect((await health()).statusCode).toBe(200);
  });

  it('is 503 after the event loop stalled beyond the threshold', { timeout: 60_000 }, async () => {
    const stalled = await createTestApp({ env: { HEALTH_EVENT_LOOP_MAX_MS: '2500' } });
    const health = () => stalled.app.inject({ method: 'GET', url: '/api/health/' });
    await health();
    stalled.app.health.start();
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      // a synchronous stall, as a runaway computation would cause
    }
    await new Promise((r) => setTimeout(r, 250)); // the monitor's tick sees it
    const res = await health();
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.event_loop).toBe('blocked');
    expect(res.json().checks.event_loop_delay_ms).toBeGreaterThan(2500);
    expect(res.json().reasons).toEqual([expect.stringMatching(/event loop stalled/)]);
    await stalled.close();
  });

  it('is 503 once the process is draining for shutdown', async () => {
    t.app.health.beginDraining();
    const res = await health();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unhealthy', checks: { draining: true }, reasons: expect.arrayContaining(['shutting down']) });
  });

  it('answers other requests while draining with 503, Retry-After and the error body', async () => {
    // After the test above: still draining.
    const res = await t.app.inject({ method: 'GET', url: '/api/clients/' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers.connection).toBe('close');
    expect(res.json()).toMatchObject({ code: 'service_unavailable', detail: 'The server is shutting down; retry shortly.', request_id: expect.any(String) });
  });
});
