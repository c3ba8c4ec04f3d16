// `prs calculate-streaks [--org <id>]`: rebuilds every streak record from the deals.
import { parseArgs } from 'node:util';
import { rows, sql } from '../../db/database.ts';
import type { Command } from '../../cli/commands.ts';
import { rebuildOrganization } from './repo.ts';

export const calculateStreaksCommand: Command = {
  summary: 'Rebuild the daily streak records of every organisation (or --org <id>) from the deals',
  async run({ db, args, out }) {
    const { values } = parseArgs({ args, options: { org: { type: 'string' } }, strict: false });
    const only = typeof values.org === 'string' ? values.org : undefined;
    const orgs = await db.system((tx) =>
      rows<{ id: string; name: string }>(tx, only ? sql`SELECT id, name FROM organizations WHERE id::text = ${only}` : sql`SELECT id, name FROM organizations ORDER BY created_at, id`),
    );
    if (only && !orgs.length) {
      out(`No organisation with id ${only}.`);
      return 1;
    }
    let total = 0;
    for (const org of orgs) {
      // Each organisation in its own tenant transaction: row-level security applies.
      const n = await db.tenant({ orgId: org.id, userId: null }, (tx) => rebuildOrganization(tx, org.id));
      total += n;
      out(`${org.name}: ${n} daily record(s)`);
    }
    out(`Rebuilt ${total} streak record(s) in ${orgs.length} organisation(s).`);
    return 0;
  },
};
