// Issue 13 defect 7 and crash consistency: a PRS server process is killed (SIGKILL) while
// concurrent multipart receipt uploads are in flight. After a restart (the upload sweep's grace
// period set to 0, so the sweep on start removes what the dead process left): no payment without
// its receipt file or its invoice row, no receipt file without its payment, no pending marks, and
// every deal's derived money equals a rebuild from its payment rows.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCluster, faultSuiteUnavailable } from './support/postgres.ts';
import { login, sleep, startPrs, tally, underLoad, type Prs } from './support/load.ts';
import { createDeal, expectConsistent, sweptClean, uploadReceipt } from './support/receipts.ts';

const unavailable = faultSuiteUnavailable();
let cluster: PostgresCluster;
let prs: Prs | undefined;

beforeAll(async () => {
  if (unavailable) return;
  cluster = await PostgresCluster.create();
}, 240_000);

afterAll(() => {
  prs?.process.child.kill('SIGKILL');
  if (prs) rmSync(prs.dataDir, { recursive: true, force: true });
  cluster?.destroy();
});

describe.skipIf(unavailable)('kill -9 during concurrent receipt uploads', () => {
  it('leaves no partial records, no orphan files after the sweep, and consistent deal money', async () => {
    const first = await startPrs(cluster.url);
    prs = first;
    const token = await login(first);
    const dealCode = await createDeal(first, token);

    const kill = (async () => {
      await sleep(1500);
      first.process.child.kill('SIGKILL');
      await first.process.exited;
    })();
    const outcomes = await underLoad(10, uploadReceipt(first, token, dealCode), kill);
    const summary = JSON.stringify(tally(outcomes));
    const created = outcomes.filter((o) => o.status === 201).length;
    expect(created, summary).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.status !== 201 && o.status !== 'network'), summary).toEqual([]);

    // Restart on the same data directory; the sweep on start removes files no row references.
    const second = await startPrs(cluster.url, { UPLOAD_SWEEP_GRACE_SECONDS: '0', JOBS_POLL_INTERVAL_MS: '200' }, first.dataDir);
    prs = second;
    await sweptClean(first.dataDir);
    expect(await expectConsistent(cluster, first.dataDir, { swept: true })).toBeGreaterThanOrEqual(created);

    // And the restarted process serves uploads again.
    const again = await uploadReceipt(second, await login(second), dealCode)();
    expect(again.status).toBe(201);
  }, 240_000);
});
