// Applies the SQL files of src/core/db/migrations in name order, once each, under an advisory lock
// so that several processes starting together do not race.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rows, sql, type Database } from './database.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const LOCK_KEY = 7_351_902_114; // arbitrary constant shared by every PRS process

export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      return { id: file.replace(/\.sql$/, ''), sql: text, checksum: createHash('sha256').update(text).digest('hex') };
    });
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Returns the ids of the migrations it applied. */
export async function migrate(db: Database, migrations = listMigrations()): Promise<string[]> {
  return db.owner(async (conn) => {
    await conn.exec(
      `CREATE TABLE IF NOT EXISTS prs_migrations (id text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied: string[] = [];
    await conn.exec(`BEGIN; SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
    try {
      const recorded = await rows<{ id: string; checksum: string }>(conn.db, sql.raw('SELECT id, checksum FROM prs_migrations'));
      const done = new Map(recorded.map((r) => [r.id, r.checksum]));
      for (const m of migrations) {
        const seen = done.get(m.id);
        if (seen !== undefined) {
          if (seen !== m.checksum) throw new Error(`migration ${m.id} was changed after it was applied`);
          continue;
        }
        await conn.exec(m.sql);
        await conn.exec(`INSERT INTO prs_migrations (id, checksum) VALUES (${quote(m.id)}, ${quote(m.checksum)})`);
        applied.push(m.id);
      }
      await conn.exec('COMMIT');
    } catch (err) {
      await conn.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
    return applied;
  });
}
