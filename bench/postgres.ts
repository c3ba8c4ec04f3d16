// The PostgreSQL server a benchmark runs against: DATABASE_URL when given, otherwise a
// throw-away cluster from Debian's `postgresql` package (installed with apt-get if missing),
// started as the `postgres` user on a free local port, as .ci/run does. Each run works in a
// scratch database of its own, dropped at the end unless kept.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** URL of the server's maintenance database (CREATE/DROP DATABASE). */
  adminUrl: string;
  /** Where it came from, for the report. */
  origin: 'DATABASE_URL' | 'throw-away cluster';
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function postgresBin(): string {
  const find = () => {
    const root = '/usr/lib/postgresql';
    if (!existsSync(root)) return undefined;
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(a) - Number(b));
    const last = versions[versions.length - 1];
    return last ? join(root, last, 'bin') : undefined;
  };
  let bin = find();
  if (!bin) {
    process.stdout.write('PostgreSQL is not installed: installing Debian\'s postgresql package…\n');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', '-qq', 'postgresql'], { stdio: 'inherit', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    bin = find();
  }
  if (!bin) throw new Error('initdb not found under /usr/lib/postgresql after installing postgresql.');
  return bin;
}

function asPostgres(command: string, args: string[]) {
  const result = spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
}

/** A new cluster in a temporary directory; settings are the defaults but for memory and connections. */
async function startCluster(): Promise<PostgresServer> {
  if (process.getuid?.() !== 0) throw new Error('Starting a PostgreSQL cluster needs root (runuser); or set DATABASE_URL.');
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'prs-bench-pg-'));
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
  const port = await freePort();
  asPostgres(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const settings = [
    `-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c max_connections=200',
    '-c shared_buffers=512MB', '-c max_wal_size=4GB', '-c checkpoint_timeout=15min',
  ].join(' ');
  asPostgres(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-w', '-o', settings, 'start']);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    origin: 'throw-away cluster',
    async stop() {
      try {
        asPostgres(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export async function postgresServer(databaseUrl: string | undefined): Promise<PostgresServer> {
  if (databaseUrl) return { adminUrl: databaseUrl, origin: 'DATABASE_URL', stop: async () => undefined };
  return startCluster();
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  return withDatabase(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** Server facts for the report. */
export async function serverFacts(url: string): Promise<Record<string, string>> {
  const rows = await adminQuery<{ name: string; setting: string }>(
    url,
    `SELECT 'version' AS name, current_setting('server_version') AS setting
     UNION ALL SELECT name, current_setting(name) FROM pg_settings
     WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'max_connections', 'work_mem', 'max_wal_size')`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}
