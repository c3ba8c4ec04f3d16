// A real PRS server process (`node --import tsx src/server.ts`), as `npm start` runs it, for the
// suites that must see the process itself: start-up, exit codes, crashes and restarts.
import { spawn } from 'node:child_process';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface ServerProcess {
  child: ReturnType<typeof spawn>;
  exited: Promise<number | null>;
  output(): string;
}

export function startServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Polls GET /api/health/ until it answers (any status) or the deadline passes. */
export async function waitForHealth(port: number, timeoutMs: number, want?: number): Promise<Response | undefined> {
  const deadline = Date.now() + timeoutMs;
  let health: Response | undefined;
  while (Date.now() < deadline) {
    health = await fetch(`http://127.0.0.1:${port}/api/health/`).catch(() => undefined);
    if (health && (want === undefined || health.status === want)) return health;
    await new Promise((r) => setTimeout(r, 200));
  }
  return health;
}
