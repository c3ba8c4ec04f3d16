// A PRS server process on the suite's cluster, a logged-in demo user, and concurrent load that
// records every answer (status, Retry-After) or network failure.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../support/redis.ts';
import { startServer, waitForHealth, type ServerProcess } from '../../support/server-process.ts';

export const DEMO_SALES = { email: 'sales@demo.prs.test', password: 'Prs-Demo-2026!' };

export interface Prs {
  port: number;
  dataDir: string;
  process: ServerProcess;
  base: string;
}

/** Starts PRS on `databaseUrl` (demo data seeded on an empty database) and waits until it is healthy. */
export async function startPrs(databaseUrl: string, env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'prs-faults-data-'))): Promise<Prs> {
  const port = await freePort();
  const process = startServer({ PORT: String(port), DATABASE_URL: databaseUrl, DATA_DIR: dataDir, SEED_DEMO_DATA: 'true', DB_POOL_SIZE: '6', ...env });
  const health = await waitForHealth(port, 150_000, 200);
  if (health?.status !== 200) throw new Error(`PRS did not become healthy: ${health?.status}\n${process.output()}`);
  return { port, dataDir, process, base: `http://127.0.0.1:${port}` };
}

export async function login(prs: Prs, user = DEMO_SALES): Promise<string> {
  const res = await fetch(`${prs.base}/api/auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
  const body = (await res.json()) as { access?: string };
  if (res.status !== 200 || !body.access) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access;
}

export interface Outcome {
  status: number | 'network';
  retryAfter: string | null;
  code?: string;
}

/** Sends `request` from `workers` concurrent loops until `stop` resolves; returns every outcome. */
export async function underLoad(workers: number, request: () => Promise<Response>, stop: Promise<unknown>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let stopped = false;
  void stop.then(() => (stopped = true));
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stopped) {
        try {
          const res = await request();
          const body = (await res.json().catch(() => ({}))) as { code?: string };
          outcomes.push({ status: res.status, retryAfter: res.headers.get('retry-after'), ...(body.code ? { code: body.code } : {}) });
        } catch {
          outcomes.push({ status: 'network', retryAfter: null });
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }),
  );
  return outcomes;
}

/** A client-creating write (one INSERT transaction and its audit row) as the given user. */
export const createClientRequest = (prs: Prs, token: string) => () =>
  fetch(`${prs.base}/api/clients/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Fault Traders', email: `fault-${randomBytes(6).toString('hex')}@example.test`, phone_number: '+9779812345678', nationality: 'Nepalese' }),
  });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts outcomes by status, for assertion messages. */
export const tally = (outcomes: Outcome[]) =>
  outcomes.reduce<Record<string, number>>((acc, o) => ((acc[String(o.status)] = (acc[String(o.status)] ?? 0) + 1), acc), {});
