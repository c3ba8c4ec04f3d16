// Work done when PRS starts, after migrations: the permission catalogue is brought up to date,
// and an empty database receives demo data (outside production) so that the API has something to show.
import type { Database } from './core/db/database.ts';
import { migrate } from './core/db/migrate.ts';
import type { AppInstance } from './core/http/types.ts';
import { syncPermissionCatalog } from './core/access/repo.ts';
import { seedDemoIfEmpty } from './demo/seed.ts';

/** Migrations plus reference data every installation needs. Idempotent. */
export async function prepareDatabase(db: Database): Promise<void> {
  await migrate(db);
  await db.system((tx) => syncPermissionCatalog(tx));
}

export async function startupTasks(app: AppInstance): Promise<void> {
  if (!app.config.seedDemoData) return;
  const created = await seedDemoIfEmpty(app.db, app.files);
  if (!created) return;
  const lines = created.map((u) => `  ${u.role.padEnd(12)} ${u.email.padEnd(30)} ${u.password}`);
  app.log.info(`Demo organisation "${created[0]?.organization}" created. Sign in with:\n${lines.join('\n')}`);
  process.stdout.write(`\nDemo users:\n${lines.join("\n")}\n\n`);
}
