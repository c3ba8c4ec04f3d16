// `npm run bench`: PRS under load on PostgreSQL, side by side with a bare baseline.
//
//   npm run bench                            20,000 deals, 10 s per route
//   npm run bench -- --deals 100000          another scale (1 organisation per 100,000 deals)
//   npm run bench -- --deals 1000000 --scale two sizes: 100,000 and 1,000,000 deals
//   npm run bench -- --smoke                 tiny and quick; fails only on errors, never on speed
//
// Options: --orgs N, --users N, --clients N (per organisation), --payments-per-deal N,
// --seconds S, --warmup S, --connections C, --sizes A,B, --keep (keep the database),
// --no-build (use the existing dist/), --fk-checks (seed with foreign-key checks on),
// --out FILE, --only WORDS (routes whose names contain one of them), --reuse NAME (measure an existing database kept by --keep or loaded with
// `prs seed-demo-data`: no seeding, nothing dropped). DATABASE_URL selects the server (a scratch database is created on it);
// without it a throw-away cluster is started from Debian's postgresql package.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { countRows, SEED_DEFAULTS, seedDemoData, type SeedSummary } from '../src/demo/seed-demo-data.ts';
import { progressPrinter } from '../src/demo/seed-report.ts';
import { openDatabase, rows as queryRows, sql, type Database } from '../src/core/db/database.ts';
import { prepareDatabase } from '../src/startup.ts';
import { measure, type LoadResult } from './load.ts';
import { createDatabase, dropDatabase, postgresServer, serverFacts, withDatabase, type PostgresServer } from './postgres.ts';
import { measured, table, type BenchReport, type RouteResult, type ScaleResult } from './report.ts';
import { buildScenario, type Route } from './scenario.ts';
import { backendsCpuBetween, cpuSecondsOf, databaseBackendsCpu, startBaseline, startPrs, type RunningServer } from './servers.ts';

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    smoke: { type: 'boolean' }, deals: { type: 'string' }, orgs: { type: 'string' }, users: { type: 'string' }, clients: { type: 'string' },
    'payments-per-deal': { type: 'string' }, seconds: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' },
    scale: { type: 'boolean' }, sizes: { type: 'string' }, keep: { type: 'boolean' }, 'no-build': { type: 'boolean' },
    'fk-checks': { type: 'boolean' }, out: { type: 'string' }, reuse: { type: 'string' }, only: { type: 'string' },
  },
});
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v.replace(/_/g, '')));
const smoke = args.smoke === true;
const deals = num(args.deals, smoke ? 300 : 20_000);
const settings = {
  seconds: num(args.seconds, smoke ? 2 : 10),
  warmup: num(args.warmup, smoke ? 0 : 2),
  connections: num(args.connections, smoke ? 4 : 10),
};
const sizes = args.reuse ? [0] : args.sizes ? args.sizes.split(',').map((s) => num(s, 0)) : args.scale ? [Math.round(deals / 10), deals] : [deals];
// --only a,b: measure just the routes whose names contain one of these words (while tuning).
const only = args.only?.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean);
const wanted = (route: Route) => !only || only.some((w) => route.name.toLowerCase().includes(w));
const out = (line = '') => process.stdout.write(`${line}\n`);
const failures: string[] = [];

function build() {
  if (args['no-build']) return;
  out('Building PRS (npm run build)…');
  const result = spawnSync('npm', ['run', 'build'], { encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
}

function check(label: string, r: LoadResult) {
  if (r.errors || r.non2xx) failures.push(`${label}: ${r.errors} errors, ${r.non2xx} non-2xx (${JSON.stringify(r.statuses)})`);
}

/** CPU seconds used so far by the server under test, and by each of its database backends. */
type CpuMeter = () => { prs: number; db: Map<number, number> };

async function run(label: string, url: string, next: Route['prs'], meter?: CpuMeter): Promise<LoadResult & { cpuMs?: { prs: number; db: number } }> {
  if (settings.warmup > 0) check(`${label} (warm-up)`, await measure({ url, connections: settings.connections, seconds: settings.warmup, next }));
  const before = meter?.();
  const result: LoadResult & { cpuMs?: { prs: number; db: number } } = await measure({ url, connections: settings.connections, seconds: settings.seconds, next });
  if (before && meter && result.requests) {
    const after = meter();
    const perRequest = (seconds: number) => Math.round((seconds * 1000 * 100) / result.requests) / 100;
    result.cpuMs = { prs: perRequest(after.prs - before.prs), db: perRequest(backendsCpuBetween(before.db, after.db)) };
  }
  check(label, result);
  out(`  ${label.padEnd(58)} ${result.rps.toFixed(0).padStart(6)} req/s  p95 ${result.p95.toFixed(1)} ms${result.errors + result.non2xx ? `  ERRORS ${result.errors + result.non2xx}` : ''}`);
  return result;
}

async function routeResult(route: Route, prs: RunningServer, baseline: RunningServer, database: string): Promise<RouteResult> {
  if (route.missing) {
    out(`  ${route.name.padEnd(58)}    n/a (route not in this build)`);
    return { route: route.name, kind: route.kind, prs: 'n/a', baseline: null, ratio_to_baseline: null, server_rss_mb: 0, server_peak_rss_mb: 0 };
  }
  const p = await run(`PRS ${route.name}`, prs.url, route.prs, () => ({ prs: cpuSecondsOf(prs.pid), db: databaseBackendsCpu(database) }));
  const memory = prs.memory();
  const b = route.baseline ? await run(`baseline ${route.name}`, baseline.url, route.baseline, () => ({ prs: cpuSecondsOf(baseline.pid), db: databaseBackendsCpu(database) })) : null;
  return {
    route: route.name,
    kind: route.kind,
    prs: measured(p),
    baseline: b ? measured(b) : null,
    ratio_to_baseline: b && b.rps ? Math.round((p.rps / b.rps) * 1000) / 1000 : null,
    server_rss_mb: memory.rssMb,
    server_peak_rss_mb: memory.peakMb,
    ...(b?.cpuMs ? { baseline_cpu_ms_per_request: b.cpuMs.prs, baseline_db_cpu_ms_per_request: b.cpuMs.db } : {}),
    ...(p.cpuMs ? { prs_cpu_ms_per_request: p.cpuMs.prs, ...(p.cpuMs.db ? { db_cpu_ms_per_request: p.cpuMs.db } : {}) } : {}),
  };
}

/** What an earlier `seed-demo-data` run left: the first generated organisation and its logins. */
async function describeSeeded(db: Database): Promise<SeedSummary> {
  const orgs = await db.system((tx) => queryRows<{ id: string; name: string; deals: number }>(tx, sql`
    SELECT o.id, o.name, (SELECT count(*)::int FROM deals d WHERE d.organization_id = o.id) AS deals
    FROM organizations o WHERE o.name LIKE ${`${SEED_DEFAULTS.prefix} %`} ORDER BY o.created_at, o.name`));
  if (!orgs.length) throw new Error('--reuse: the database has no organisations from prs seed-demo-data.');
  const first = orgs.sort((a, b) => Number(a.name.split(' ').at(-1)) - Number(b.name.split(' ').at(-1)))[0]!;
  const logins = await db.system((tx) => queryRows<{ role: string; email: string }>(tx, sql`
    SELECT DISTINCT ON (r.name) r.name AS role, u.email FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id
    WHERE m.organization_id = ${first.id} ORDER BY r.name, u.email`));
  const rows = await countRows(db);
  return { organizations: [{ id: first.id, name: first.name, logins }], rows, password: SEED_DEFAULTS.password, seconds: 0 };
}

async function runScale(server: PostgresServer, totalDeals: number): Promise<ScaleResult> {
  const reuse = args.reuse;
  let orgs = num(args.orgs, Math.max(1, Math.round(totalDeals / 100_000)));
  let perOrg = Math.ceil(totalDeals / orgs);
  const name = reuse ?? `prs_bench_${Date.now().toString(36)}_${totalDeals}`;
  const url = reuse ? withDatabase(server.adminUrl, reuse) : await createDatabase(server.adminUrl, name);
  if (!reuse) out(`\n=== ${(perOrg * orgs).toLocaleString('en')} deals in ${orgs} organisation(s) — database ${name} ===`);
  let prs: RunningServer | undefined;
  let baseline: RunningServer | undefined;
  try {
    const db = await openDatabase({ databaseUrl: url, poolSize: 4 });
    let seeded;
    let rows: Record<string, number> = {};
    try {
      await prepareDatabase(db);
      if (reuse) {
        seeded = await describeSeeded(db);
        rows = seeded.rows;
        const [counts] = await db.system((tx) => queryRows<{ orgs: number; first: number }>(tx, sql`
          SELECT (SELECT count(*)::int FROM organizations) AS orgs, (SELECT count(*)::int FROM deals WHERE organization_id = ${seeded!.organizations[0]!.id}) AS first`));
        orgs = counts!.orgs;
        perOrg = counts!.first;
        out(`\n=== reusing database ${name}: ${rows.deals?.toLocaleString('en')} deals in ${orgs} organisation(s), ${perOrg.toLocaleString('en')} in ${seeded.organizations[0]!.name} ===`);
      } else seeded = await seedDemoData(
        db,
        {
          orgs,
          deals: perOrg,
          users: num(args.users, smoke ? 12 : 40),
          clients: num(args.clients, Math.max(20, Math.round(perOrg / 20))),
          paymentsPerDeal: num(args['payments-per-deal'], 2),
          skipFkChecks: args['fk-checks'] !== true,
        },
        progressPrinter((s) => process.stdout.write(s), false),
      );
      if (!reuse) rows = await countRows(db);
    } finally {
      await db.close();
    }
    out(`seeded in ${seeded.seconds.toFixed(1)} s`);
    [prs, baseline] = await Promise.all([startPrs(url), startBaseline(url)]);
    const scenario = await buildScenario({
      prsUrl: prs.url,
      baselineUrl: baseline.url,
      databaseUrl: url,
      org: seeded.organizations[0]!,
      password: seeded.password,
      paymentDeals: smoke ? 5 : 100,
    });
    const routes: RouteResult[] = [];
    try {
      for (const route of [...scenario.reads, ...scenario.writes]) if (wanted(route)) routes.push(await routeResult(route, prs, baseline, name));
      if (!only || only.some((w) => 'verify payment'.includes(w))) routes.push(await routeResult(await scenario.verify(), prs, baseline, name));
    } finally {
      await scenario.close();
    }
    return {
      deals: reuse ? (rows.deals ?? 0) : perOrg * orgs,
      orgs,
      rows,
      seed_seconds: Math.round(seeded.seconds * 10) / 10,
      facts: scenario.facts,
      routes,
      server_rss_end_mb: prs.memory().rssMb,
    };
  } finally {
    await Promise.all([prs?.stop(), baseline?.stop()]);
    if (args.keep || reuse) out(`kept database ${url}`);
    else await dropDatabase(server.adminUrl, name);
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  build();
  const server = await postgresServer(process.env.DATABASE_URL || undefined);
  const report: BenchReport = {
    date: new Date().toISOString(),
    mode: smoke ? 'smoke' : 'full',
    settings: { connections: settings.connections, seconds_per_route: settings.seconds, warmup_seconds: settings.warmup },
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      load_average_at_start: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    postgres: { origin: server.origin },
    scales: [],
    failures,
  };
  try {
    report.postgres = { origin: server.origin, ...(await serverFacts(server.adminUrl)) };
    for (const size of sizes) report.scales.push(await runScale(server, size));
  } finally {
    await server.stop();
  }
  report.machine.load_average_at_end = loadavg().map((l) => Math.round(l * 100) / 100);
  mkdirSync('bench/results', { recursive: true });
  const file = args.out ?? `bench/results/${report.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}${smoke ? '-smoke' : ''}.json`;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  out('');
  for (const scale of report.scales) out(`${table(scale)}\n`);
  out(`machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memory_gb} GB, Node ${report.machine.node}; PostgreSQL ${report.postgres.version ?? '?'} (${server.origin})`);
  out(`results: ${file} · ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failures.length) {
    out(`\nFAILED: ${failures.length} route(s) answered errors or non-2xx:\n  ${failures.join('\n  ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
