// Redis going away and coming back under load (REDIS_URL set: live-event fan-out, the actor
// cache's invalidations): PRS stays up and keeps serving every request (Redis is not needed for
// correctness), health reports `redis: unavailable` with 503 meanwhile, and once redis-server is
// back on its port PRS reconnects and health is 200 again.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { REDIS_BINARY, REDIS_WANTED, freePort, startRedis, stopRedis } from '../support/redis.ts';
import { PostgresCluster, faultSuiteUnavailable } from './support/postgres.ts';
import { createClientRequest, login, sleep, startPrs, tally, underLoad, type Prs } from './support/load.ts';

const unavailable = faultSuiteUnavailable() ?? (REDIS_BINARY || REDIS_WANTED ? undefined : 'no redis-server binary');
let cluster: PostgresCluster;
let prs: Prs;
let redis: ChildProcess;
let redisPort: number;

beforeAll(async () => {
  if (unavailable) return;
  cluster = await PostgresCluster.create();
  redisPort = await freePort();
  redis = (await startRedis(redisPort)).process;
  prs = await startPrs(cluster.url, { REDIS_URL: `redis://127.0.0.1:${redisPort}` });
}, 240_000);

afterAll(async () => {
  prs?.process.child.kill('SIGKILL');
  if (prs) rmSync(prs.dataDir, { recursive: true, force: true });
  if (redis) await stopRedis(redis);
  cluster?.destroy();
});

const health = async () => {
  const res = await fetch(`${prs.base}/api/health/`);
  return { status: res.status, body: (await res.json()) as { redis: string; reasons: string[] } };
};

describe.skipIf(unavailable)('Redis goes away under load', () => {
  it('keeps serving while Redis is down, reports it in health, and reconnects when it is back', async () => {
    const token = await login(prs);
    const outage = (async () => {
      await sleep(500);
      await stopRedis(redis);
      await sleep(1500);
    })();
    const during = await underLoad(6, createClientRequest(prs, token), outage);
    expect(prs.process.child.exitCode, prs.process.output()).toBeNull();
    expect(during.filter((o) => o.status !== 201), JSON.stringify(tally(during))).toEqual([]);

    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ redis: 'unavailable', reasons: ['redis unavailable'] });

    redis = (await startRedis(redisPort)).process;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await health()).status !== 200) await sleep(250);
    expect(await health()).toMatchObject({ status: 200, body: { redis: 'ok' } });
    const after = await Promise.all(Array.from({ length: 6 }, () => createClientRequest(prs, token)()));
    expect(after.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(prs.process.child.exitCode).toBeNull();
  }, 120_000);
});
