// One interface over the two drivers: embedded PGlite (default) and node-postgres (DATABASE_URL).
// Every unit of work runs in a transaction under a non-superuser role so that row-level
// security applies even though PGlite (and often the pool user) is a superuser.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { PgDialect, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';

/** The query handle every repo receives: a Drizzle database bound to one transaction. */
export type Tx = PgDatabase<PgQueryResultHKT, Record<string, never>>;

/** Who the transaction acts for. `orgId` null means platform scope (Super Admin, no tenant). */
export interface TenantScope {
  orgId: string | null;
  userId: string | null;
}

/** Database roles used inside transactions (created by the first migration). */
export const APP_ROLE = 'prs_app';
export const SYSTEM_ROLE = 'prs_system';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function literalUuid(value: string | null): string {
  if (value === null) return "''";
  // Interpolated into the transaction preamble so that it costs no extra round trip;
  // only well-formed UUIDs are ever accepted.
  if (!UUID_RE.test(value)) throw new Error('tenant scope ids must be UUIDs');
  return `'${value.toLowerCase()}'`;
}

export interface TransactionOptions {
  /**
   * Plan every statement of the transaction generically (`plan_cache_mode`), so that the
   * named statements of `preparedRows` are planned once per connection instead of on every
   * request. Only for transactions whose statements all go through `preparedRows` and whose
   * plans do not depend on the parameter values (index lookups on the organisation's keys).
   */
  genericPlans?: boolean;
}

function preamble(role: string, scope: TenantScope, options: TransactionOptions = {}): string {
  return (
    `BEGIN; SET LOCAL ROLE ${role}; ` +
    `SELECT set_config('app.organization_id', ${literalUuid(scope.orgId)}, true), ` +
    `set_config('app.user_id', ${literalUuid(scope.userId)}, true)` +
    (options.genericPlans ? `, set_config('plan_cache_mode', 'force_generic_plan', true)` : '')
  );
}

interface Driver {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn with exclusive use of one connection. */
  withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

interface Connection {
  /** Simple-protocol execution: several statements, no parameters. */
  exec(text: string): Promise<void>;
  db: Tx;
}

/** A tiny FIFO mutex: PGlite has one connection, so transactions must not interleave. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

class PgliteDriver implements Driver {
  readonly kind = 'pglite' as const;
  private readonly mutex = new Mutex();
  private readonly conn: Connection;
  constructor(readonly client: PGlite) {
    const db = drizzlePglite(client) as unknown as Tx;
    this.conn = { db, exec: async (text) => void (await client.exec(text)) };
  }
  withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    return this.mutex.run(() => fn(this.conn));
  }
  async close(): Promise<void> {
    await this.mutex.run(() => this.client.close());
  }
}

class PostgresDriver implements Driver {
  readonly kind = 'postgres' as const;
  constructor(readonly pool: pg.Pool) {}
  async withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      const db = drizzlePg(client) as unknown as Tx;
      return await fn({ db, exec: async (text) => void (await client.query(text)) });
    } catch (err) {
      broken = isConnectionError(err);
      throw err;
    } finally {
      client.release(broken);
    }
  }
  async close(): Promise<void> {
    await this.pool.end();
  }
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNRESET' || code === '57P01' || code === 'EPIPE';
}

export class Database {
  constructor(private readonly driver: Driver) {}

  get kind(): 'pglite' | 'postgres' {
    return this.driver.kind;
  }

  /** Work for one organisation (or platform scope): row-level security enforced. */
  tenant<T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.transaction(APP_ROLE, scope, fn, options);
  }

  /**
   * Work that must see across organisations: authentication lookups, platform
   * administration, background jobs. Callers scope their own queries.
   */
  system<T>(fn: (tx: Tx) => Promise<T>, scope: TenantScope = { orgId: null, userId: null }): Promise<T> {
    return this.transaction(SYSTEM_ROLE, scope, fn);
  }

  /** Runs statements as the connection's own user, outside any role (migrations only). */
  async owner<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    return this.driver.withConnection(fn);
  }

  private transaction<T>(role: string, scope: TenantScope, fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.driver.withConnection(async (conn) => {
      await conn.exec(preamble(role, scope, options));
      try {
        const result = await fn(conn.db);
        await conn.exec('COMMIT');
        return result;
      } catch (err) {
        await conn.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async ping(): Promise<void> {
    await this.driver.withConnection((conn) => conn.exec('SELECT 1'));
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

export interface OpenOptions {
  databaseUrl?: string | undefined;
  dataDir?: string;
  poolSize?: number;
  /** A ready PGlite instance (tests clone a migrated template). */
  pglite?: PGlite;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.pglite) return new Database(new PgliteDriver(options.pglite));
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle client that errors (server restart) must not crash the process.
    pool.on('error', () => undefined);
    return new Database(new PostgresDriver(pool));
  }
  const dir = options.dataDir ?? './data';
  mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(`${dir}/pgdata`);
  return new Database(new PgliteDriver(client));
}

/** Runs raw SQL and returns its rows, the same on both drivers. */
export async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  const result = (await tx.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

const dialect = new PgDialect();
const statementNames = new Map<string, string>();

/**
 * `rows` through a named prepared statement (node-postgres parses it once per connection; the
 * name is derived from the text). With `genericPlans` its plan is kept as well; PGlite runs
 * it unnamed.
 */
export async function preparedRows<T>(tx: Tx, query: SQL): Promise<T[]> {
  const q = dialect.sqlToQuery(query);
  let name = statementNames.get(q.sql);
  if (!name) {
    name = `prs_${createHash('sha1').update(q.sql).digest('base64url').slice(0, 24)}`;
    // The texts come from a handful of code paths; the bound only guards against a leak.
    if (statementNames.size >= 1000) statementNames.clear();
    statementNames.set(q.sql, name);
  }
  const result = (await tx._.session.prepareQuery(q, undefined, name, false).execute()) as { rows: T[] };
  return result.rows;
}

/**
 * A sub-select's rows as one JSON array, in the sub-select's order (an aggregate reads its
 * input in order), so that one statement can answer what several reads did; each row keeps
 * its column names and JSON types (text, integers). Numbers that must stay exact are cast to
 * text in the sub-select.
 */
export const jsonRows = (select: SQL): SQL => sql`(SELECT COALESCE(json_agg(x), '[]'::json) FROM (${select}) x)`;

export { sql };
