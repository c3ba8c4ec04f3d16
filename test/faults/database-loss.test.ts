// Issue 13 defect 2: losing database connections must not end the process. Under concurrent
// writes (clients, and payments with receipts), (a) every backend of PRS is terminated
// (pg_terminate_backend), (b) the PostgreSQL server is restarted, (c) crash-stopped: PRS stays
// up, a request that lost its connection answers 503 with Retry-After in the error format (never
// a 500, never a dropped connection), once the database is back every request succeeds again,
// and no fault leaves a partial record, an orphan file the sweep would not remove, or deal money
// that differs from a rebuild.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCluster, faultSuiteUnavailable } from './support/postgres.ts';
import { createClientRequest, login, sleep, startPrs, tally, underLoad, type Outcome, type Prs } from './support/load.ts';
import { createDeal, expectConsistent, sweptClean, uploadReceipt } from './support/receipts.ts';

const unavailable = faultSuiteUnavailable();
let cluster: PostgresCluster;
let prs: Prs;
let token: string;
let dealCode: string;

beforeAll(async () => {
  if (unavailable) return;
  cluster = await PostgresCluster.create();
  prs = await startPrs(cluster.url);
  token = await login(prs);
  dealCode = await createDeal(prs, token);
}, 240_000);

/** Half the writes create a client (one row), half record a payment with its receipt (rows and a file). */
function mixedWrites() {
  let n = 0;
  const client = createClientRequest(prs, token);
  const payment = uploadReceipt(prs, token, dealCode);
  return () => (n++ % 2 ? payment() : client());
}

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
  const write = mixedWrites();
  const after = await Promise.all(Array.from({ length: 12 }, () => write()));
  expect(after.map((r) => r.status)).toEqual(Array(12).fill(201));
  await expectConsistent(cluster, prs.dataDir, { swept: false });
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
    const outcomes = await underLoad(8, mixedWrites(), killing);
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
    const outcomes = await underLoad(8, mixedWrites(), restarting);
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
    const outcomes = await underLoad(8, mixedWrites(), crashing);
    expectOnlySuccessOr503(outcomes);
    await servesAgain();
  }, 120_000);

  it('after the faults, a restart with the sweep leaves no file that no row references', async () => {
    prs.process.child.kill('SIGTERM');
    await prs.process.exited;
    const dataDir = prs.dataDir;
    prs = await startPrs(cluster.url, { UPLOAD_SWEEP_GRACE_SECONDS: '0', JOBS_POLL_INTERVAL_MS: '200' }, dataDir);
    await sweptClean(dataDir);
    expect(await expectConsistent(cluster, dataDir, { swept: true })).toBeGreaterThan(0);
  }, 240_000);
});
