// Runs one `prs` command against the configured database. The command table comes from the
// composition root (src/cli.ts), so core never imports an area's commands.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import type { Command } from './command.ts';

function usage(commands: Record<string, Command>): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(22)} ${c.summary}`);
  return `Usage: prs <command> [options]\n\nCommands:\n${lines.join('\n')}\n`;
}

export async function runCli(argv: string[], commands: Record<string, Command>): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const name = positionals[0];
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(name && name !== 'help' ? `Unknown command: ${name}\n\n${usage(commands)}` : usage(commands));
    return name && name !== 'help' ? 2 : 0;
  }
  loadDotEnv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    return await command.run({ config, db, args: argv.slice(argv.indexOf(name!) + 1), out: (l) => process.stdout.write(`${l}\n`) });
  } catch (err) {
    process.stderr.write(`prs ${name}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await db.close();
  }
}
