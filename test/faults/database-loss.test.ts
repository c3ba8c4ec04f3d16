// Issue 13 defect 2: losing database connections must not end the process. Under concurrent
// writes, (a) every backend of PRS is terminated (pg_terminate_backend), (b) the PostgreSQL
// server is restarted: PRS stays up, a request that lost its connection answers 503 with
// Retry-After in the error format (never a 500, never a dropped connection), and once the
// database is back every request succeeds again.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCluster, faultSuiteUnavailable } from './support/postgres.ts';
import { createClientRequest, login, sleep, startPrs, tally, underLoad, type Outcome, type Prs } from './support/load.ts';

const unavailable = faultSuiteUnavailable();
let cluster: PostgresCluster;
let prs: Prs;
let token: string;

beforeAll(async () => {
  if (unavailable) return;
  cluster = await PostgresCluster.create();
  prs = await startPrs(cluster.url);
  token = await login(prs);
}, 240_000);

afterAll(() => {
  prs?.process.child.kill('SIGKILL');
  if (prs) rmSync(prs.dataDir, { recursive: true, force: true });
  cluster?.destroy();
});

function expectOnlySuccessOr503(outcomes: Outcome[]) {
  const summary = JSON.stringify(tally(outcomes));
  expect(prs.process.child.exitCode, prs.process.output()).toBeNull();
  expect(outcomes.filter((o) => o.status !== 201 && o.status !== 503), summary).toEqual([]);
  for (const failed of outcomes.filter((o) => o.status === 503)) expect(failed).toMatchObject({ retryAfter: expect.stringMatching(/^\d+$/), code: 'service_unavailable' });
  expect(outcomes.filter((o) => o.status === 201).length, summary).toBeGreaterThan(0);
}

/** After the fault: the server answers health 200 and every write succeeds. */
async function servesAgain() {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await fetch(`${prs.base}/api/health/`)).status !== 200) await sleep(250);
  expect((await fetch(`${prs.base}/api/health/`)).status).toBe(200);
  const after = await Promise.all(Array.from({ length: 12 }, () => createClientRequest(prs, token)()));
  expect(after.map((r) => r.status)).toEqual(Array(12).fill(201));
}

describe.skipIf(unavailable)('the database connection is lost under write load', () => {
  it('survives pg_terminate_backend of every connection: only the affected requests fail, with 503', async () => {
    const killing = (async () => {
      for (let round = 0; round < 4; round++) {
        await sleep(400);
        await cluster.terminateBackends();
      }
      await sleep(300);
    })();
    const outcomes = await underLoad(8, createClientRequest(prs, token), killing);
    expectOnlySuccessOr503(outcomes);
    await servesAgain();
  }, 120_000);

  it('survives a restart of PostgreSQL mid-load and serves again once it is back', async () => {
    const restarting = (async () => {
      await sleep(500);
      cluster.stop('fast');
      await sleep(1500); // requests meanwhile: connection refused → 503
      cluster.start();
      await sleep(1000);
    })();
    const outcomes = await underLoad(8, createClientRequest(prs, token), restarting);
    expectOnlySuccessOr503(outcomes);
    expect(outcomes.filter((o) => o.status === 503).length, JSON.stringify(tally(outcomes))).toBeGreaterThan(0);
    await servesAgain();
  }, 120_000);

  it('survives an immediate (crash) stop of PostgreSQL', async () => {
    const crashing = (async () => {
      await sleep(500);
      cluster.stop('immediate');
      await sleep(1000);
      cluster.start();
      await sleep(1000);
    })();
    const outcomes = await underLoad(8, createClientRequest(prs, token), crashing);
    expectOnlySuccessOr503(outcomes);
    await servesAgain();
  }, 120_000);
});
