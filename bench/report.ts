// The benchmark's results: one JSON document and a table on stdout.
import type { LoadResult } from './load.ts';

export interface Measured {
  requests_per_second: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  requests: number;
  errors: number;
  non_2xx: number;
  statuses: Record<string, number>;
}

export interface RouteResult {
  route: string;
  kind: 'read' | 'write';
  prs: Measured | 'n/a';
  baseline: Measured | null;
  /** PRS requests/s ÷ baseline requests/s (reads, and create payment against the write floor). */
  ratio_to_baseline: number | null;
  /** Resident memory of the PRS process after the route (MB), and its peak so far. */
  server_rss_mb: number;
  server_peak_rss_mb: number;
  /**
   * CPU milliseconds per PRS request: the PRS process, and the PostgreSQL backends of the
   * measured database (when on this machine). Unlike requests/s, barely moved by other load.
   */
  prs_cpu_ms_per_request?: number;
  db_cpu_ms_per_request?: number;
  /** The same for the baseline process and its backends. */
  baseline_cpu_ms_per_request?: number;
  baseline_db_cpu_ms_per_request?: number;
}

export interface ScaleResult {
  deals: number;
  orgs: number;
  rows: Record<string, number>;
  seed_seconds: number;
  facts: Record<string, number | string>;
  routes: RouteResult[];
  server_rss_end_mb: number;
}

export interface BenchReport {
  date: string;
  mode: 'smoke' | 'full';
  settings: { connections: number; seconds_per_route: number; warmup_seconds: number };
  machine: { cores: number; cpu: string; memory_gb: number; node: string; platform: string; load_average_at_start: number[]; load_average_at_end?: number[] };
  postgres: Record<string, string> & { origin: string };
  scales: ScaleResult[];
  failures: string[];
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function measured(r: LoadResult): Measured {
  return {
    requests_per_second: round(r.rps),
    p50_ms: round(r.p50, 2),
    p95_ms: round(r.p95, 2),
    p99_ms: round(r.p99, 2),
    requests: r.requests,
    errors: r.errors,
    non_2xx: r.non2xx,
    statuses: r.statuses,
  };
}

function cells(m: Measured | 'n/a' | null): string[] {
  if (m === null) return ['', '', '', '', ''];
  if (m === 'n/a') return ['n/a', '', '', '', ''];
  return [
    m.requests_per_second.toFixed(0),
    m.p50_ms.toFixed(1),
    m.p95_ms.toFixed(1),
    m.p99_ms.toFixed(1),
    String(m.errors + m.non_2xx),
  ];
}

export function table(scale: ScaleResult): string {
  const header = ['route', 'req/s', 'p50', 'p95', 'p99', 'err', 'RSS MB', 'CPU ms', 'DB ms', 'base req/s', 'p50', 'p95', 'p99', 'CPU ms', 'DB ms', 'PRS/base'];
  const lines = scale.routes.map((r) => {
    const prs = cells(r.prs);
    const base = cells(r.baseline).slice(0, 4);
    const perRequest = (n: number | undefined) => (n === undefined ? '' : n.toFixed(2));
    return [r.route, ...prs, r.server_rss_mb ? r.server_rss_mb.toFixed(0) : '', perRequest(r.prs_cpu_ms_per_request), perRequest(r.db_cpu_ms_per_request), ...base, perRequest(r.baseline_cpu_ms_per_request), perRequest(r.baseline_db_cpu_ms_per_request), r.ratio_to_baseline === null ? '' : `${Math.round(r.ratio_to_baseline * 100)}%`];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rows = Object.entries(scale.rows).map(([t, n]) => `${t} ${n.toLocaleString('en')}`).join(', ');
  return [
    `scale: ${scale.deals.toLocaleString('en')} deals in ${scale.orgs} organisation(s); seeded in ${scale.seed_seconds.toFixed(1)} s`,
    `rows: ${rows}`,
    'latency in ms; err = errors + non-2xx answers; CPU ms / DB ms = CPU time per request of the PRS process / of its PostgreSQL backends (after base: the same for the baseline)',
    fmt(header),
    fmt(header.map((h) => '-'.repeat(h.length))),
    ...lines.map(fmt),
    `PRS RSS at the end: ${scale.server_rss_end_mb} MB`,
  ].join('\n');
}
