// `prs calculate-streaks [--org <id>]`: rebuilds every streak record from the deals (and the
// break records of days the midnight roll-over finalised; see rollover.ts).
import type { Command } from '../../core/cli/command.ts';
import { forEachOrganisation } from '../../core/cli/each-organisation.ts';
import { rebuildOrganization } from './repo.ts';

export const calculateStreaksCommand: Command = {
  summary: 'Rebuild the daily streak records of every organisation (or --org <id>) from the deals',
  async run({ db, args, out }) {
    let total = 0;
    const done = await forEachOrganisation(db, args, out, async (tx, org) => {
      const n = await rebuildOrganization(tx, org.id);
      total += n;
      return `${n} daily record(s)`;
    });
    if (!done.ok) return 1;
    out(`Rebuilt ${total} streak record(s) in ${done.count} organisation(s).`);
    return 0;
  },
};
