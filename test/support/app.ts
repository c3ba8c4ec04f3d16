// Test harness: a fresh database per test file (cloned from the migrated template) and the real
// application built over it, called through inject().
import { randomBytes } from 'node:crypto';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/core/config.ts';
import { openDatabase, type Database } from '../../src/core/db/database.ts';
import type { AppInstance } from '../../src/core/http/types.ts';
import { testDatabaseUrl, withDatabaseName } from './db-url.ts';

export interface TestDatabase {
  db: Database;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { transactionPooler?: boolean } = {}): Promise<TestDatabase> {
  const template = inject('postgresTemplate');
  const url = testDatabaseUrl();
  if (template && url) {
    const name = `prs_t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        break;
      } catch (err) {
        // Two files cloning the template at the same moment: one waits and retries.
        if (attempt > 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
    const db = await openDatabase({ databaseUrl: withDatabaseName(url, name), poolSize: 5, ...options });
    return {
      db,
      drop: async () => {
        await db.close();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const dump = readFileSync(inject('pgliteTemplate'));
  const client = new PGlite({ loadDataDir: new Blob([dump]) });
  const db = await openDatabase({ pglite: client });
  return { db, drop: () => db.close() };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'prs-data-')),
    ...overrides,
  });
}

export interface TestApp {
  app: AppInstance;
  db: Database;
  config: Config;
  close(): Promise<void>;
}

export async function createTestApp(
  options: { env?: Record<string, string>; plugins?: ((app: AppInstance) => Promise<void>)[] } = {},
): Promise<TestApp> {
  const { db, drop } = await createTestDatabase();
  const config = testConfig(options.env);
  const app = await buildApp({ config, db, plugins: options.plugins ?? [], logger: false });
  await app.ready();
  return {
    app,
    db,
    config,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}
