// Starts PRS: configuration, database (migrated), demo data on an empty database, HTTP server,
// and a graceful shutdown on SIGTERM/SIGINT (stop accepting, drain requests, close the database).
import { setFlagsFromString } from 'node:v8';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, loadDotEnv } from './core/config.ts';
import { openDatabase } from './core/db/database.ts';
import { prepareDatabase, startupTasks } from './startup.ts';

async function main() {
  loadDotEnv();
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // V8 sizes its heap for the machine (4 GB on 16 GB and more) and then lets the old generation
  // grow up to 4× the live data before a full collection: a server holding ~70 MB sat at 250–310
  // MB of garbage under load. A fixed growth keeps it near the live data (docs/performance.md).
  if (config.heapGrowthPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.heapGrowthPercent}`);

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, transactionPooler: config.dbTransactionPooler, acquireTimeoutMs: config.dbAcquireTimeoutMs });
  await prepareDatabase(db);
  const app = await buildApp({ config, db });
  await startupTasks(app);
  app.jobRunner.start(); // durable background work: e-mail, reminders (stopped by app.close())

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    app.health.beginDraining(); // health answers 503 from now on
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await app.close(); // stops listening and waits for in-flight requests
      await db.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err: (err as Error).message }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(`PRS ${app.appVersion} on http://${config.host}:${config.port} (database: ${db.kind}); API docs at /swagger/`);
}

main().catch((err: unknown) => {
  process.stderr.write(`PRS failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
