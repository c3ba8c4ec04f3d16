// A throw-away PostgreSQL cluster of the suite's own, so that it can be restarted under load:
// initdb/pg_ctl from /usr/lib/postgresql/<version>/bin, run as user `postgres` when running as
// root (PostgreSQL refuses to run as root). Without binaries the suite skips, unless
// FAULTS_REQUIRED=1 (CI), which makes it fail.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../support/redis.ts';

const PG_ROOT = '/usr/lib/postgresql';

export const PG_BIN = existsSync(PG_ROOT)
  ? readdirSync(PG_ROOT)
      .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => join(PG_ROOT, v, 'bin'))[0]
  : undefined;

export const FAULTS_REQUIRED = process.env.FAULTS_REQUIRED === '1';

/** Why the fault suite cannot run here (a skip, or a failure under FAULTS_REQUIRED=1); undefined: it can. */
export function faultSuiteUnavailable(): string | undefined {
  if (PG_BIN) return undefined;
  const reason = `no PostgreSQL binaries under ${PG_ROOT}/*/bin (apt-get install -y postgresql)`;
  if (FAULTS_REQUIRED) throw new Error(`FAULTS_REQUIRED=1 but ${reason}`);
  process.stderr.write(`fault-injection suite skipped: ${reason}\n`);
  return reason;
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(binary: string, args: string[]): string {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN!, binary), ...args]] : [join(PG_BIN!, binary), args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class PostgresCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  // fsync off is safe here (a crash of the server, not of the machine: the OS keeps what was
  // written); synchronous_commit stays on, as in production: with it off, an immediate stop loses
  // transactions already reported committed, and files settled for them are left behind.
  private get options(): string {
    return `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off`;
  }

  static async create(): Promise<PostgresCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'prs-faults-pg-'));
    chmodSync(dir, 0o755);
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    const cluster = new PostgresCluster(dir, await freePort());
    run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    cluster.start();
    return cluster;
  }

  start(): void {
    run('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'server.log'), '-w', '-o', this.options, 'start']);
  }

  /** Stops the server (`fast`: ends every connection with 57P01; `immediate`: as a crash). */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  /** Ends every connection of the application (not this one's): what an operator's pg_terminate_backend does. */
  async terminateBackends(database = 'postgres'): Promise<number> {
    const admin = new pg.Client({ connectionString: this.url });
    await admin.connect();
    try {
      const result = await admin.query(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        [database],
      );
      return (result.rows[0] as { n: number }).n;
    } finally {
      await admin.end();
    }
  }

  /** Runs one query as the superuser (row-level security does not apply). */
  async query<T>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
