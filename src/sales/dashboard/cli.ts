// `prs rebuild-dashboard-totals [--org <id>]`: recomputes the dashboards' maintained aggregates
// from the payments, deals and invoices (after a manual data repair or a bulk load that
// bypassed the triggers).
import { sql } from '../../core/db/database.ts';
import type { Command } from '../../core/cli/command.ts';
import { forEachOrganisation } from '../../core/cli/each-organisation.ts';

export const rebuildDashboardTotalsCommand: Command = {
  summary: 'Recompute the dashboard aggregates of every organisation (or --org <id>) from their rows',
  async run({ db, args, out }) {
    const done = await forEachOrganisation(db, args, out, async (tx, org) => {
      await tx.execute(sql`SELECT app.rebuild_dashboard_totals(${org.id})`);
      return 'dashboard totals rebuilt';
    });
    if (!done.ok) return 1;
    out(`Rebuilt the dashboard totals of ${done.count} organisation(s).`);
    return 0;
  },
};
