// A real redis-server (Debian's package) for the suites that need one, on a free port. Suites run
// when the binary exists or REDIS_TEST=1 (CI sets it: then a missing binary is a failure).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_BINARY = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
export const REDIS_WANTED = process.env.REDIS_TEST === '1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port nobody listens on (it was free a moment ago): connections to it are refused. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server (on `port`, or a free one) and resolves once it answers PING. */
export async function startRedis(port?: number): Promise<{ url: string; process: ChildProcess }> {
  if (!REDIS_BINARY) throw new Error('REDIS_TEST=1 but no redis-server binary: install it (apt-get install -y redis-server)');
  const p = port ?? (await freePort());
  const child = spawn(REDIS_BINARY, ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${p}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { url, process: child };
    } catch {
      probe.disconnect();
      await sleep(50);
    }
  }
  child.kill();
  throw new Error('redis-server did not start');
}

/** Stops a redis-server started here and waits until it has exited (its port is closed). */
export async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill();
  await exited;
}
