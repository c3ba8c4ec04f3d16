// What a `prs` command is. A leaf module: the commands of every area and the runner import it.
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';

export interface CliContext {
  config: Config;
  db: Database;
  args: string[];
  out: (line: string) => void;
}

export interface Command {
  summary: string;
  run(ctx: CliContext): Promise<number>;
}
