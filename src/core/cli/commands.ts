import { listMigrations, migrate } from '../db/migrate.ts';
import { syncPermissionCatalog } from '../access/repo.ts';
import { rows, sql } from '../db/database.ts';
import type { Command } from './command.ts';
import { identityCommands } from './identity-commands.ts';

const baseCommands: Record<string, Command> = {
  migrate: {
    summary: 'Apply pending database migrations',
    async run({ db, out }) {
      const applied = await migrate(db);
      await db.system((tx) => syncPermissionCatalog(tx));
      out(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'No pending migrations.');
      return 0;
    },
  },
  'health-check': {
    summary: 'Check that the database answers and is migrated (exit 1 if not)',
    async run({ db, out }) {
      try {
        await db.ping();
      } catch (err) {
        out(`database: unavailable (${(err as Error).message})`);
        return 1;
      }
      const known = listMigrations().map((m) => m.id);
      const applied = await db
        .owner((c) => rows<{ id: string }>(c.db, sql`SELECT id FROM prs_migrations`))
        .catch(() => [] as { id: string }[]);
      const pending = known.filter((id) => !applied.some((a) => a.id === id));
      out(`database: ok (${db.kind})`);
      out(pending.length ? `migrations: ${pending.length} pending (${pending.join(', ')})` : 'migrations: up to date');
      return pending.length ? 1 : 0;
    },
  },
};

/** The platform's own commands; the areas add theirs in src/cli.ts. */
export const coreCommands: Record<string, Command> = { ...baseCommands, ...identityCommands };
