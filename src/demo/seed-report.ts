// What `prs seed-demo-data` prints: progress while it runs and the summary at the end.
import type { SeedProgress, SeedSummary } from './seed-types.ts';

/** A bar on a terminal; otherwise a plain line every few seconds. */
export function progressPrinter(write: (s: string) => void, tty: boolean): (p: SeedProgress) => void {
  const started = performance.now();
  let lastLine = 0;
  return (p) => {
    const elapsed = (performance.now() - started) / 1000;
    const overall = p.dealsTotal ? p.dealsDone / p.dealsTotal : p.orgs ? p.orgsDone / p.orgs : 1;
    const eta = overall > 0.02 && overall < 1 ? ` · ~${Math.round((elapsed / overall) * (1 - overall))}s left` : '';
    const text = `orgs ${p.orgsDone}/${p.orgs} · deals ${p.dealsDone.toLocaleString('en')}/${p.dealsTotal.toLocaleString('en')} · ${p.phase} · ${elapsed.toFixed(1)}s${eta}`;
    if (tty) {
      const width = 28;
      const filled = Math.round(overall * width);
      write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(overall * 100)).padStart(3)}% ${text}\x1b[K`);
    } else if (performance.now() - lastLine > 5000 || p.phase === 'vacuum') {
      lastLine = performance.now();
      write(`${text}\n`);
    }
  };
}

export function formatSummary(s: SeedSummary): string[] {
  const lines = ['', 'table                 rows        rows/s'];
  for (const [table, n] of Object.entries(s.rows)) {
    lines.push(`${table.padEnd(18)} ${n.toLocaleString('en').padStart(12)} ${Math.round(n / Math.max(s.seconds, 0.001)).toLocaleString('en').padStart(12)}`);
  }
  const total = Object.values(s.rows).reduce((a, b) => a + b, 0);
  lines.push(`${'total'.padEnd(18)} ${total.toLocaleString('en').padStart(12)} ${Math.round(total / Math.max(s.seconds, 0.001)).toLocaleString('en').padStart(12)}`);
  lines.push('', `Done in ${s.seconds.toFixed(1)} s.`);
  if (s.organizations.length) {
    const org = s.organizations[0]!;
    lines.push(`Sign in to "${org.name}"${s.organizations.length > 1 ? ` (and ${s.organizations.length - 1} more like it)` : ''} with password ${s.password}:`);
    for (const l of org.logins) lines.push(`  ${l.role.padEnd(12)} ${l.email}`);
  }
  return lines;
}
