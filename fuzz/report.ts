// The figures printed at the end of a run, and each failure as a request one can replay.

export interface Failure {
  operation: string;
  role: string;
  method: string;
  url: string;
  status: number;
  reason: string;
  mutation: string;
  body: unknown;
  contentType: string | undefined;
}

export interface Tally {
  requests: number;
  byClass: Record<string, number>;
  byOperation: Map<string, { requests: number; statuses: Map<number, number> }>;
  failures: Failure[];
  /** Undeclared 4xx statuses (not failures without --strict-status), by "operation status". */
  warnings: Map<string, number>;
  started: number;
  finished: number;
  relogins: number;
  operations?: string[];
}

const shorten = (v: unknown) => {
  const s = JSON.stringify(v) ?? '';
  return s.length > 400 ? `${s.slice(0, 400)}… (${s.length} chars)` : s;
};

export function printReport(t: Tally, log: (line: string) => void): void {
  const seconds = (t.finished - t.started) / 1000;
  const ops = t.operations ?? [...t.byOperation.keys()];
  const covered = ops.filter((o) => t.byOperation.has(o));
  const succeeded = ops.filter((o) => [...(t.byOperation.get(o)?.statuses.keys() ?? [])].some((s) => s < 300));
  log(`\n== fuzz: ${t.requests} requests in ${seconds.toFixed(1)} s (${(t.requests / Math.max(seconds, 0.001)).toFixed(0)}/s)`);
  log(`status classes: ${Object.entries(t.byClass).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  log(`operations: ${covered.length}/${ops.length} requested, ${succeeded.length} answered 2xx at least once; sessions renewed ${t.relogins}×`);
  const never = ops.filter((o) => !succeeded.includes(o));
  if (never.length) log(`never 2xx: ${never.join('; ')}`);
  if (t.warnings.size) {
    const total = [...t.warnings.values()].reduce((a, b) => a + b, 0);
    log(`warnings: ${total} answers with an undeclared 4xx status on ${t.warnings.size} (operation, status) pairs (failures with --strict-status)`);
  }
  // One line per distinct (operation, reason), with the first request that showed it.
  const distinct = new Map<string, { first: Failure; count: number }>();
  for (const f of t.failures) {
    const key = `${f.operation} ${f.reason.replace(/\d+/g, 'N').slice(0, 120)}`;
    const seen = distinct.get(key);
    if (seen) seen.count += 1;
    else distinct.set(key, { first: f, count: 1 });
  }
  log(`failures: ${t.failures.length} (${distinct.size} distinct)`);
  for (const { first: f, count } of distinct.values()) {
    log(`  FAIL ×${count} ${f.operation}: ${f.reason}`);
    log(`    replay: ${f.method} ${f.url} as ${f.role} [${f.mutation}] ${f.contentType ?? ''} ${f.body === undefined ? '' : shorten(f.body)}`);
  }
}
