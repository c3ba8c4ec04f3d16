// `npm run fuzz`: schema-driven fuzzing of every operation of PRS's own OpenAPI document, in
// process (inject, no network). See docs/fuzzing.md.
//   --seed N          reproducible run (default 1)
//   --requests N      stop after N requests (default 3000)
//   --minutes M       stop after M minutes (whichever comes first)
//   --strict-status   an undeclared 4xx is a failure, not a warning
//   --only REGEX      only the operations whose "METHOD /path" matches
//   --verbose         print each failure as it happens
// DATABASE_URL=postgres://… runs against that (empty) database instead of an embedded PGlite.
import { parseArgs } from 'node:util';
import { Generator, Random } from './generate.ts';
import { ResponseOracle, StateProbe, type OpenApiDocument } from './oracle.ts';
import { printReport, type Failure, type Tally } from './report.ts';
import { buildRequest, operationsOf, type FuzzRequest } from './requests.ts';
import { buildWorld, ROLES, type Role, type World } from './world.ts';

export interface FuzzOptions {
  seed: number;
  requests: number;
  minutes: number;
  strictStatus: boolean;
  verbose?: boolean;
  only?: RegExp;
  databaseUrl?: string;
  log?: (line: string) => void;
}

async function send(world: World, role: Role, req: FuzzRequest) {
  const token = world.tokens.get(role);
  const headers = { ...req.headers, ...(token ? { authorization: `Token ${token}` } : {}) };
  return world.app.inject({ method: req.method as 'GET', url: req.url, headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) });
}

/** Runs the fuzzer against a world (built here unless given, e.g. by a test); returns the tally. */
export async function fuzz(options: FuzzOptions, given?: World): Promise<Tally> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const world = given ?? (await buildWorld(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}));
  try {
    const doc = (await world.app.inject({ url: '/api/schema/' })).json() as OpenApiDocument;
    const ops = operationsOf(doc).filter((o) => !options.only || options.only.test(`${o.method} ${o.path}`));
    if (!ops.length) throw new Error('no operation to fuzz');
    const oracle = new ResponseOracle(doc, options.strictStatus);
    const probe = new StateProbe(world.db);
    await probe.settle();
    const rng = new Random(options.seed);
    const gen = new Generator(rng, world.ids);
    const protectedIds = new Set([world.orgIds.own, world.orgIds.foreign]);
    const tally: Tally = { requests: 0, byClass: {}, byOperation: new Map(), failures: [], warnings: new Map(), started: Date.now(), finished: 0, relogins: 0 };
    const deadline = options.minutes > 0 ? Date.now() + options.minutes * 60_000 : Infinity;
    // A process warning while serving (a deprecated driver use such as two queries at once on one
    // connection, a listener leak) is a defect too: it is charged to the request that caused it.
    const processWarnings: string[] = [];
    const onWarning = (w: Error) => processWarnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    let order: number[] = [];
    while (tally.requests < options.requests && Date.now() < deadline) {
      // Every operation once per round, in a shuffled order, so that coverage stays even.
      if (!order.length) order = ops.map((_, i) => i).sort(() => rng.float() - 0.5);
      const op = ops[order.pop()!]!;
      const role = rng.pick(ROLES);
      const valid = rng.chance(0.45);
      const req = buildRequest(op, gen, { valid, ownKind: role === 'foreign_admin' ? 'foreign' : 'own', protectedIds });
      if (role === 'superadmin' && rng.chance(0.3)) req.url += `${req.url.includes('?') ? '&' : '?'}organization=${world.orgIds.own}`;
      const res = await send(world, role, req);
      tally.requests += 1;
      if (tally.requests % 5000 === 0) log(`… ${tally.requests} requests, ${tally.failures.length} failures, ${Math.round((Date.now() - tally.started) / 1000)} s`);
      const cls = `${String(res.statusCode)[0]}xx`;
      tally.byClass[cls] = (tally.byClass[cls] ?? 0) + 1;
      const key = `${op.method} ${op.path}`;
      const seen = tally.byOperation.get(key) ?? { requests: 0, statuses: new Map<number, number>() };
      seen.requests += 1;
      seen.statuses.set(res.statusCode, (seen.statuses.get(res.statusCode) ?? 0) + 1);
      tally.byOperation.set(key, seen);
      const failures: string[] = [];
      const verdict = oracle.judge(op.path, op.method.toLowerCase(), res);
      if (verdict.kind === 'failure') failures.push(verdict.reason);
      if (verdict.kind === 'warning') {
        const w = `${key} ${res.statusCode}`;
        tally.warnings.set(w, (tally.warnings.get(w) ?? 0) + 1);
      }
      const changed = await probe.changedTables();
      if (res.statusCode >= 400 && changed.length) failures.push(`refused with ${res.statusCode} but changed: ${changed.join(', ')}`);
      for (const warning of processWarnings.splice(0)) failures.push(`process warning: ${warning}`);
      for (const reason of failures) {
        const failure: Failure = { operation: key, role, method: req.method, url: req.url, status: res.statusCode, reason, mutation: req.mutation, body: req.body, contentType: req.headers['content-type'] };
        tally.failures.push(failure);
        if (options.verbose) log(`FAIL ${failure.method} ${failure.url} as ${role}: ${reason}`);
      }
      // A request may end the caller's session (logout, revoked session, changed password): sign in again.
      if (res.statusCode === 401 && role !== 'anonymous') {
        tally.relogins += 1;
        await world.relogin(role);
        await probe.changedTables();
      }
    }
    process.off('warning', onWarning);
    tally.finished = Date.now();
    tally.operations = ops.map((o) => `${o.method} ${o.path}`);
    printReport(tally, log);
    return tally;
  } finally {
    if (!given) await world.close();
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      requests: { type: 'string' },
      minutes: { type: 'string' },
      'strict-status': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  const minutes = Number(values.minutes ?? 0);
  const requests = values.requests !== undefined ? Number(values.requests) : minutes > 0 ? Infinity : 3000;
  const tally = await fuzz({
    seed: Number(values.seed),
    requests,
    minutes,
    strictStatus: values['strict-status'],
    verbose: values.verbose,
    ...(values.only ? { only: new RegExp(values.only) } : {}),
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  });
  process.exit(tally.failures.length ? 1 : 0);
}
