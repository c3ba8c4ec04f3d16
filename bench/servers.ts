// The processes under test: PRS built and started in production mode, and the bare baseline.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres.ts';

export interface RunningServer {
  url: string;
  pid: number;
  /** Resident memory now and at its peak, in MB (from /proc/<pid>/status). */
  memory(): { rssMb: number; peakMb: number };
  stop(): Promise<void>;
}

function memoryOf(pid: number) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: Math.round(kb('VmRSS') / 102.4) / 10, peakMb: Math.round(kb('VmHWM') / 102.4) / 10 };
  } catch {
    return { rssMb: 0, peakMb: 0 };
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (0 if unreadable). */
export function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by each of this machine's PostgreSQL backends connected to `database`
 * (their process title names it), by pid; empty when the server runs elsewhere.
 */
export function databaseBackendsCpu(database: string): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres: ') && title.split(' ')[2] === database) found.set(Number(entry), cpuSecondsOf(Number(entry)));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** CPU seconds the backends used between two readings; a backend that exited meanwhile is left out. */
export function backendsCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not answer ${url} within ${seconds}s:\n${output()}`);
}

function launch(command: string, args: string[], env: Record<string, string>, healthPath: string, port: number, cleanup: () => void = () => undefined): Promise<RunningServer> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const server: RunningServer = {
    url,
    pid: child.pid!,
    memory: () => memoryOf(child.pid!),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          cleanup();
          resolve();
          return;
        }
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(force);
          cleanup();
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
  return waitUntilUp(`${url}${healthPath}`, child, () => log).then(
    () => server,
    async (err: unknown) => {
      await server.stop();
      throw err;
    },
  );
}

/** `node dist/server.js` with NODE_ENV=production, a generated SECRET_KEY and LOG_LEVEL=warn. */
export async function startPrs(databaseUrl: string): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'prs-bench-data-'));
  return launch(
    process.execPath,
    // e.g. BENCH_PRS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile PRS under load.
    [...(process.env.BENCH_PRS_NODE_ARGS?.split(' ').filter(Boolean) ?? []), 'dist/server.js'],
    {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SECRET_KEY: randomBytes(48).toString('base64url'),
      SEED_DEMO_DATA: 'false',
      DATA_DIR: dataDir,
      // The load generator is one client address: keep failed-login limits out of the way.
      LOGIN_FAILURES_PER_IP: '1000000',
    },
    '/api/health/',
    port,
    () => rmSync(dataDir, { recursive: true, force: true }),
  );
}

export async function startBaseline(databaseUrl: string): Promise<RunningServer> {
  const port = await freePort();
  return launch(process.execPath, ['--import', 'tsx', 'bench/baseline.ts'], { DATABASE_URL: databaseUrl, BASELINE_PORT: String(port) }, '/health/', port);
}
