// The `prs` command (composition root): the platform's commands plus each area's.
import { coreCommands } from './core/cli/commands.ts';
import { runCli } from './core/cli/run.ts';
import { seedDemoDataCommand } from './demo/seed-demo-data.ts';
import { salesCommands } from './sales/commands.ts';

const commands = { ...coreCommands, ...salesCommands, 'seed-demo-data': seedDemoDataCommand };

runCli(process.argv.slice(2), commands).then((code) => process.exit(code));
