// One interface over the two drivers: embedded PGlite (default) and node-postgres (DATABASE_URL).
// Every unit of work runs in a transaction under a non-superuser role so that row-level
// security applies even though PGlite (and often the pool user) is a superuser.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import { isConnectionLoss } from './errors.ts';

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

const INT8_OID = 20;

const ID_RE = /^[1-9][0-9]{0,17}$/;

function literalId(value: string | null): string {
  if (value === null) return "''";
  // Interpolated into the transaction preamble so that it costs no extra round trip;
  // only well-formed integer ids are ever accepted.
  if (!ID_RE.test(value)) throw new Error('tenant scope ids must be integer ids');
  return `'${value}'`;
}

const planCacheMode = (options: TransactionOptions) => (options.genericPlans ? 'force_generic_plan' : 'auto');

function preamble(role: string, scope: TenantScope, options: TransactionOptions = {}): string {
  // Every setting explicitly, READ WRITE included: the connection may carry the session scope
  // of an earlier read (sessionScope), which only these local values override.
  return (
    `BEGIN ${options.readOnly ? 'READ ONLY' : 'READ WRITE'}; SET LOCAL ROLE ${role}; ` +
    `SELECT set_config('app.organization_id', ${literalId(scope.orgId)}, true), ` +
    `set_config('app.user_id', ${literalId(scope.userId)}, true), ` +
    `set_config('plan_cache_mode', '${planCacheMode(options)}', true)`
  );
}

/**
 * The role and organisation a PostgreSQL connection keeps between transactions, for reads run
 * outside a transaction (see Database.transaction). Set in one round trip when it differs.
 */
function sessionScope(role: string, scope: TenantScope, options: TransactionOptions): string {
  return (
    `SET ROLE ${role}; SET default_transaction_read_only = on; ` +
    `SELECT set_config('app.organization_id', ${literalId(scope.orgId)}, false), ` +
    `set_config('app.user_id', ${literalId(scope.userId)}, false), ` +
    `set_config('plan_cache_mode', '${planCacheMode(options)}', false)`
  );
}

const SESSION_RESET = 'RESET ROLE; RESET default_transaction_read_only; RESET plan_cache_mode; RESET app.organization_id; RESET app.user_id';

interface Driver {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn with exclusive use of one connection. */
  withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

interface Connection {
  /** Simple-protocol execution: several statements, no parameters. */
  exec(text: string): Promise<void>;
  /**
   * The session scope this connection carries (a key of role and scope; null: none), kept per
   * connection across uses. Absent on PGlite, where reads keep their transactions.
   */
  session?: { scope: string | null };
  db: Tx;
}

/** What a PostgreSQL connection keeps across uses: its session scope and prepared statements. */
interface ConnectionState {
  scope: string | null;
  /** Statement text → name of the statement prepared under it. */
  names: Map<string, string>;
  /** Texts whose prepared form failed (result shape changed underneath): run unnamed. */
  refused: Set<string>;
  /** The connection's query handle, built on its first use (a Drizzle instance per request cost CPU). */
  conn?: Connection;
}
const connectionStates = new WeakMap<pg.PoolClient, ConnectionState>();

function stateOf(client: pg.PoolClient): ConnectionState {
  let state = connectionStates.get(client);
  if (!state) connectionStates.set(client, (state = { scope: null, names: new Map(), refused: new Set() }));
  return state;
}

export interface TransactionOptions {
  /**
   * Reads only: on PostgreSQL the statements run outside a transaction on a connection that
   * keeps the role and scope (read-only) between uses, so there is no BEGIN or COMMIT round
   * trip; on PGlite `BEGIN READ ONLY`. Any write fails.
   */
  readOnly?: boolean;
  /**
   * Plan every statement generically (`plan_cache_mode`): every statement is prepared by the
   * driver, and PostgreSQL would otherwise keep replanning some of them on each request. Only
   * where the plans do not depend on the parameter values (index lookups on the organisation's
   * keys).
   */
  genericPlans?: boolean;
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
  constructor(
    readonly client: PGlite,
    db: Tx,
  ) {
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
  constructor(
    readonly pool: pg.Pool,
    /** Behind a transaction-mode pooler: no prepared statements, no session scope. */
    private readonly stateless = false,
  ) {}
  withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    return PostgresDriver.run(this.pool, fn, this.stateless);
  }
  private static async run<T>(pool: pg.Pool, fn: (conn: Connection) => Promise<T>, stateless: boolean): Promise<T> {
    const client = await pool.connect();
    let broken = false;
    // A checked-out client has no listener of the pool's: a connection lost between two queries
    // (server restart, pg_terminate_backend) emits 'error' on it, which would end the process.
    // The error fails this use (its next query rejects) and the client is discarded, not reused.
    const onError = () => void (broken = true);
    client.on('error', onError);
    try {
      const exec = async (text: string) => void (await client.query(text));
      if (stateless) return await fn({ db: drizzlePg(client) as unknown as Tx, exec });
      const state = stateOf(client);
      state.conn ??= { db: drizzlePg(preparing(client, state)) as unknown as Tx, exec, session: state };
      return await fn(state.conn);
    } catch (err) {
      broken ||= isConnectionLoss(err);
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }
  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Named statements kept per connection at most; beyond, statements run unnamed (planned each time). */
const PREPARED_PER_CONNECTION = 250;

/**
 * The client with every parameterised statement prepared once per connection under a name derived
 * from its text, so that PostgreSQL parses and plans it once instead of on every execution (the
 * benchmark found planning under row-level security to cost more than executing: 2–3 ms to bind
 * a deal or payment lookup). PostgreSQL replans by itself when the role or the schema changes; a
 * statement whose result shape changed under it (`cached plan must not change result type`, after
 * a migration while running) fails once and runs unnamed from then on.
 */
function preparing(client: pg.PoolClient, cache: ConnectionState): pg.PoolClient {
  const wrapped = Object.create(client) as pg.PoolClient & { query: (config: unknown, values?: unknown) => Promise<unknown> };
  wrapped.query = async (config: unknown, values?: unknown) => {
    const query = config as pg.QueryConfig;
    // Without parameters node-postgres uses the simple protocol, which also runs several
    // statements in one text (a prepared statement cannot): those stay unnamed.
    const parameters = (values as unknown[] | undefined) ?? query.values;
    if (typeof config !== 'object' || config === null || query.name || typeof query.text !== 'string' || !parameters?.length || cache.refused.has(query.text)) {
      return client.query(config as pg.QueryConfig, values as unknown[]);
    }
    let name = cache.names.get(query.text);
    if (!name && cache.names.size < PREPARED_PER_CONNECTION) {
      name = `prs_${createHash('sha1').update(query.text).digest('base64url').slice(0, 20)}`;
      cache.names.set(query.text, name);
    }
    if (!name) return client.query(config as pg.QueryConfig, values as unknown[]);
    try {
      return await client.query({ ...query, name }, values as unknown[]);
    } catch (err) {
      if ((err as { code?: string }).code === '0A000' && /cached plan/.test((err as Error).message)) cache.refused.add(query.text);
      throw err;
    }
  };
  return wrapped;
}

/** No connection answered within the bound (health checks). */
export class DatabaseTimeout extends Error {
  constructor(ms: number) {
    super(`the database did not answer within ${ms} ms`);
    this.name = 'DatabaseTimeout';
  }
}

export class Database {
  constructor(private readonly driver: Driver) {}

  get kind(): 'pglite' | 'postgres' {
    return this.driver.kind;
  }

  /** Work for one organisation (or platform scope): row-level security enforced. */
  tenant<T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
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
    return this.driver.withConnection(async (conn) => {
      if (conn.session?.scope) {
        await conn.exec(SESSION_RESET);
        conn.session.scope = null;
      }
      return fn(conn);
    });
  }

  private transaction<T>(
    role: string,
    scope: TenantScope,
    fn: (tx: Tx) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    const readOnly = options.readOnly === true;
    return this.driver.withConnection(async (conn) => {
      if (readOnly && conn.session) {
        // A read needs no transaction: under READ COMMITTED each statement takes its own snapshot
        // anyway. The connection keeps the role and scope (read-only) from one read to the next,
        // so a run of reads for one organisation costs no preamble and no COMMIT.
        const key = `${role} ${scope.orgId ?? ''} ${scope.userId ?? ''} ${options.genericPlans ? 'generic' : 'auto'}`;
        if (conn.session.scope !== key) {
          conn.session.scope = null; // unknown until the statement has succeeded
          await conn.exec(sessionScope(role, scope, options));
          conn.session.scope = key;
        }
        return fn(conn.db);
      }
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

  /** Answers once a connection ran `SELECT 1`; rejects after `timeoutMs` (pool exhausted or stuck). */
  async ping(timeoutMs?: number): Promise<void> {
    const ping = this.driver.withConnection((conn) => conn.exec('SELECT 1'));
    if (!timeoutMs) return ping;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DatabaseTimeout(timeoutMs)), timeoutMs);
    });
    ping.catch(() => undefined); // a late failure after the timeout answered is not unhandled
    try {
      return await Promise.race([ping, late]);
    } finally {
      clearTimeout(timer);
    }
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
  /**
   * PostgreSQL is reached through a transaction-mode pooler (e.g. PgBouncer): statements stay
   * unprepared and reads keep their transactions, since consecutive transactions of one client
   * connection may land on different server connections.
   */
  transactionPooler?: boolean;
  /** PostgreSQL: how long a unit of work waits for a pooled connection (ms). */
  acquireTimeoutMs?: number;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  // PGlite (its WebAssembly PostgreSQL) is loaded only when it is the database.
  const pglite = async (client: PGlite) => {
    // bigint as its decimal string, as node-postgres returns it: ids and counts look the same on both drivers.
    (client as unknown as { parsers: Record<number, (value: string) => unknown> }).parsers[INT8_OID] = (value) => value;
    return new Database(new PgliteDriver(client, (await import('drizzle-orm/pglite')).drizzle(client) as unknown as Tx));
  };
  if (options.pglite) return pglite(options.pglite);
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      // A request waits this long for a connection (pool exhausted, server unreachable), then
      // fails with 503 instead of queueing without end.
      connectionTimeoutMillis: options.acquireTimeoutMs ?? 10_000,
    });
    // An idle client that errors (server restart) must not crash the process; the pool drops it.
    pool.on('error', () => undefined);
    return new Database(new PostgresDriver(pool, options.transactionPooler === true));
  }
  const dir = options.dataDir ?? './data';
  mkdirSync(dir, { recursive: true });
  const { PGlite: Embedded } = await import('@electric-sql/pglite');
  return pglite(await Embedded.create(`${dir}/pgdata`));
}

/** Runs raw SQL and returns its rows, the same on both drivers. */
export async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  const result = (await tx.execute(query)) as unknown as { rows: T[] };
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
