// The sales area's `prs` commands, added to the command table by src/cli.ts.
import type { Command } from '../core/cli/command.ts';
import { rebuildDashboardTotalsCommand } from './dashboard/cli.ts';
import { calculateStreaksCommand } from './streaks/cli.ts';

export const salesCommands: Record<string, Command> = {
  'calculate-streaks': calculateStreaksCommand,
  'rebuild-dashboard-totals': rebuildDashboardTotalsCommand,
};
