// `prs seed-demo-data`: whole, consistent organisations of generated data at any scale, fast.
//
// Each organisation is written in one system-scope transaction: the organisation, its default
// roles, users (one argon2 hash shared by all) with memberships and teams, clients, then deals
// with payments, invoices and verification decisions in batches of multi-row
// `INSERT … SELECT FROM unnest(…)` statements (the next batch is generated while the previous
// one is written). Derived columns (deal totals and statuses, client status) are computed in
// SQL once per organisation, and the code counters are set so that the application continues
// the numbering (DLID…, TXN-…, INV-…). Bulk rows get no audit or activity entries: one audit
// row per organisation records the import instead. Ids that child rows must carry are reserved
// from the tables' identity sequences before each batch is generated (`reserveIds`), so the
// generated data depends on the seed alone and the ids on what the database already holds.
import { parseArgs } from 'node:util';
import { rows, sql, SYSTEM_ROLE, type Database, type Tx } from '../core/db/database.ts';
import { prepareDatabase } from '../startup.ts';
import { DEFAULT_ROLES, ROLE_NAMES } from '../core/access/catalog.ts';
import { createDefaultRoles } from '../core/access/service.ts';
import { checkPasswordPolicy } from '../core/auth/password-policy.ts';
import { hashPassword } from '../core/auth/passwords.ts';
import { DEMO_PASSWORD } from './seed.ts';
import { Random } from './random.ts';
import {
  ColumnRows, IdSource, deriveClientStatus, flush, insertDealsWithTotals, lastOrganisationNumber, reserveIds, setCodeSequences,
} from './bulk-sql.ts';
import {
  DealGenerator, HISTORY_DAYS, addClient, clientColumns, dayString, planTeams, planUsers, salesColumns,
  type ClientIndex, type Clock, type PlannedUser, type SalesColumns,
} from './bulk-data.ts';
import type { Command } from '../core/cli/command.ts';
import { formatSummary, progressPrinter } from './seed-report.ts';
import type { SeedProgress, SeededOrganization, SeedSummary } from './seed-types.ts';

export type { SeedProgress, SeededOrganization, SeedSummary } from './seed-types.ts';

export interface SeedDemoOptions {
  /** Organisations to create. */
  orgs: number;
  /** Users, clients and deals per organisation. */
  users: number;
  clients: number;
  deals: number;
  paymentsPerDeal: number;
  /** Random seed: the same seed, scale and anchor date give the same data (ids come from the database's sequences). */
  seed: number;
  /** Password of every generated user. */
  password: string;
  /** Organisations are named `<prefix> <n>`, numbered after any that already exist. */
  prefix: string;
  /** Deals per INSERT batch. */
  batchSize: number;
  /** Last day with data (YYYY-MM-DD); default today (UTC). */
  anchorDate?: string | undefined;
  /** VACUUM ANALYZE the written tables afterwards (recommended before measuring). */
  vacuum?: boolean;
  /** Organisations written at the same time (one connection each). */
  parallel?: number;
  /**
   * Skip foreign-key checks and triggers while writing (`session_replication_role = replica`,
   * only when the connection user is a superuser). The generated rows are consistent by
   * construction; this roughly halves the load time. Off by default.
   */
  skipFkChecks?: boolean;
}

export const SEED_DEFAULTS: SeedDemoOptions = {
  orgs: 1,
  users: 20,
  clients: 50,
  deals: 100,
  paymentsPerDeal: 2,
  seed: 2026,
  password: DEMO_PASSWORD,
  prefix: 'Scale Demo',
  batchSize: 5000,
  vacuum: true,
  skipFkChecks: false,
};

const TABLES = ['organizations', 'roles', 'users', 'memberships', 'teams', 'team_members', 'clients', 'deals', 'payments', 'invoices', 'payment_approvals'] as const;
type Tally = Record<(typeof TABLES)[number], number>;

function clockFor(anchorDate: string | undefined): Clock {
  if (!anchorDate) {
    const nowMs = Date.now();
    return { anchorDay: Math.floor(nowMs / 86_400_000), nowMs };
  }
  const day = Math.floor(Date.parse(`${anchorDate}T00:00:00Z`) / 86_400_000);
  if (!Number.isFinite(day)) throw new Error('--anchor-date must be a date (YYYY-MM-DD).');
  return { anchorDay: day, nowMs: Math.min(Date.now(), (day + 1) * 86_400_000 - 1000) };
}

async function writePeople(tx: Tx, orgId: string, users: PlannedUser[], roles: Map<string, string>, hash: string, rng: Random): Promise<Partial<Tally>> {
  const org = { organization_id: { value: orgId, type: 'bigint' } };
  const people = new ColumnRows('users', {
    id: 'bigint', email: 'text', password_hash: 'text', username: 'text', first_name: 'text', last_name: 'text', contact_number: 'text',
    created_at: 'ms', updated_at: 'ms',
  });
  const history = new ColumnRows('password_history', { user_id: 'bigint', password_hash: 'text' });
  // The target is the organisation's view of the person (memberships.sales_target); the first Org
  // Admin is the organisation's owner, later ones admins, everyone else a member.
  const members = new ColumnRows(
    'memberships',
    { user_id: 'bigint', role_id: 'bigint', membership_role: 'text', sales_target: 'cents', accepted_at: 'ms', created_at: 'ms', updated_at: 'ms' },
    org,
  );
  const firstAdmin = users.find((u) => u.role === ROLE_NAMES.orgAdmin);
  for (const u of users) {
    people.add({
      id: u.id, email: u.email, password_hash: hash, username: u.email.split('@')[0], first_name: u.firstName, last_name: u.lastName,
      contact_number: `+97798${String(rng.int(0, 99_999_999)).padStart(8, '0')}`, created_at: u.createdMs, updated_at: u.createdMs,
    });
    history.add({ user_id: u.id, password_hash: hash });
    const membershipRole = u === firstAdmin ? 'owner' : u.role === ROLE_NAMES.orgAdmin ? 'admin' : 'member';
    members.add({
      user_id: u.id, role_id: roles.get(u.role)!, membership_role: membershipRole, sales_target: u.salesTargetCents,
      accepted_at: u.createdMs, created_at: u.createdMs, updated_at: u.createdMs,
    });
  }
  const usersWritten = await flush(tx, people);
  // The password counts as set now, so that password expiry does not force a change at login.
  await tx.execute(sql`UPDATE users SET password_changed_at = now() WHERE id = ANY(${sql.param(users.map((u) => u.id))}::bigint[])`);
  await flush(tx, history);
  const membershipsWritten = await flush(tx, members);

  const teams = planTeams(users);
  const teamIds = new IdSource('teams', (await reserveIds(tx, { teams: teams.length })).teams);
  const teamRows = new ColumnRows('teams', { id: 'bigint', name: 'text', team_lead_id: 'bigint', created_by: 'bigint' }, org);
  const teamMembers = new ColumnRows('team_members', { team_id: 'bigint', user_id: 'bigint' }, org);
  for (const planned of teams) {
    const t = { ...planned, id: teamIds.take() };
    teamRows.add({ id: t.id, name: t.name, team_lead_id: t.leadId, created_by: users[0]!.id });
    for (const m of t.memberIds) teamMembers.add({ team_id: t.id, user_id: m });
  }
  const teamsWritten = await flush(tx, teamRows);
  const teamMembersWritten = await flush(tx, teamMembers);
  if (teamsWritten) {
    await tx.execute(sql`UPDATE users u SET team_id = tm.team_id FROM team_members tm WHERE tm.organization_id = ${orgId} AND tm.user_id = u.id`);
  }
  return { users: usersWritten, memberships: membershipsWritten, teams: teamsWritten, team_members: teamMembersWritten };
}

async function writeSales(tx: Tx, batch: SalesColumns): Promise<Partial<Tally>> {
  const deals = await insertDealsWithTotals(tx, batch.deals, batch.payments);
  const payments = await flush(tx, batch.payments);
  const invoices = await flush(tx, batch.invoices);
  const approvals = await flush(tx, batch.approvals);
  return { deals, payments, invoices, payment_approvals: approvals };
}

function add(tally: Tally, part: Partial<Tally>) {
  for (const [k, v] of Object.entries(part) as [keyof Tally, number][]) tally[k] += v;
}

interface OrgJob {
  k: number;
  options: SeedDemoOptions;
  clock: Clock;
  hash: string;
  tally: Tally;
  progress: (phase: SeedProgress['phase'], newDeals: number) => void;
}

/** One organisation, whole, in one system-scope transaction. */
async function seedOrganisation(db: Database, job: OrgJob): Promise<SeededOrganization> {
  const { k, options, clock, hash, tally, progress } = job;
  const rng = new Random(options.seed, k);
  return db.system(async (tx) => {
    // The dashboards' aggregate triggers stay quiet while loading; one set-based rebuild below.
    await tx.execute(sql`SELECT set_config('app.bulk_load', 'on', true)`);
    if (options.skipFkChecks && (await isSuperuser(tx))) {
      // Back to the (superuser) session user for one setting, then system scope again.
      await tx.execute(sql.raw(`SET LOCAL ROLE NONE; SET LOCAL session_replication_role = replica; SET LOCAL ROLE ${SYSTEM_ROLE}`));
    }
    progress('people', 0);
    const name = `${options.prefix} ${k}`;
    const domain = `org${k}.${options.prefix.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'scale'}.test`;
    const createdMs = (clock.anchorDay - HISTORY_DAYS - 420) * 86_400_000;
    const [org] = await rows<{ id: string }>(tx, sql`
      INSERT INTO organizations (name, description, contact_email, contact_number, address, sales_goal, currency, time_zone, created_at, updated_at)
      VALUES (${name}, 'Generated demo organisation (prs seed-demo-data).', ${`admin@${domain}`}, '+9771400000', 'Kathmandu',
        ${`${Math.max(1, options.users) * 100_000}.00`}, 'USD', 'UTC', to_timestamp(${createdMs / 1000}), to_timestamp(${createdMs / 1000}))
      RETURNING id`);
    const orgId = org!.id;
    const roles = await createDefaultRoles(tx, orgId);
    add(tally, { organizations: 1, roles: DEFAULT_ROLES.length });

    const users = planUsers(rng, clock, domain, options.users, new IdSource('users', (await reserveIds(tx, { users: options.users })).users));
    add(tally, await writePeople(tx, orgId, users, roles, hash, rng));
    const isCreator = (u: PlannedUser) => u.role === ROLE_NAMES.salesperson || u.role === ROLE_NAMES.teamLead;
    const creators = users.some(isCreator) ? users.filter(isCreator) : [users[0]!];
    const verifiers = users.filter((u) => u.role === ROLE_NAMES.verifier && !creators.includes(u));

    progress('clients', 0);
    const clients: ClientIndex = { ids: [], names: [], owners: [] };
    const clientRows = clientColumns(orgId);
    const clientBatch = options.batchSize * 2;
    for (let j = 0; j < options.clients; j += clientBatch) {
      const n = Math.min(clientBatch, options.clients - j);
      const ids = new IdSource('clients', (await reserveIds(tx, { clients: n })).clients);
      for (let i = j; i < j + n; i++) addClient(clientRows, clients, rng, clock, i, options.clients, creators, ids);
      add(tally, { clients: await flush(tx, clientRows) });
    }

    // Batch n+1 is generated while batch n is being written. Its ids are reserved just before
    // batch n's INSERTs start: one short statement between two batches' writes.
    const generator = new DealGenerator(rng, clock, { deals: options.deals, paymentsPerDeal: options.paymentsPerDeal, clients, creators, verifiers });
    const reserveBatch = async () => {
      const reserved = await reserveIds(tx, generator.idsFor(options.batchSize));
      return { deals: new IdSource('deals', reserved.deals), payments: new IdSource('payments', reserved.payments) };
    };
    let ids = generator.done ? undefined : await reserveBatch();
    let writing: Promise<void> = Promise.resolve();
    while (ids) {
      const batch = salesColumns(orgId);
      const before = generator.nextDeal;
      generator.fill(batch, options.batchSize, ids);
      const written = generator.nextDeal - before;
      await writing;
      ids = generator.done ? undefined : await reserveBatch();
      writing = writeSales(tx, batch).then((part) => {
        add(tally, part);
        progress('deals', written);
      });
    }
    await writing;

    progress('totals', 0);
    await deriveClientStatus(tx, orgId);
    await tx.execute(sql`SELECT set_config('app.bulk_load', 'off', true)`);
    await tx.execute(sql`SELECT app.rebuild_dashboard_totals(${orgId})`);
    await setCodeSequences(tx, orgId, { deal: options.deals, payment: generator.lastPayment, invoice: generator.lastPayment });
    await tx.execute(sql`INSERT INTO audit_log (organization_id, entity, entity_id, action, new_values, user_agent)
      VALUES (${orgId}, 'organization', ${orgId}, 'seed_demo_data',
        ${JSON.stringify({ users: options.users, clients: options.clients, deals: options.deals, payments: generator.lastPayment, seed: options.seed })}::jsonb, 'prs seed-demo-data')`);
    const logins: SeededOrganization['logins'] = [];
    for (const role of [ROLE_NAMES.orgAdmin, ROLE_NAMES.verifier, ROLE_NAMES.salesperson, ROLE_NAMES.teamLead, ROLE_NAMES.supervisor]) {
      const user = users.find((u) => u.role === role);
      if (user) logins.push({ role, email: user.email });
    }
    return { id: orgId, name, logins };
  });
}

async function isSuperuser(tx: Tx): Promise<boolean> {
  const [row] = await rows<{ su: boolean }>(tx, sql`SELECT rolsuper AS su FROM pg_roles WHERE rolname = session_user`);
  return row?.su === true;
}

/** Generates and writes `options.orgs` organisations; see the file header. */
export async function seedDemoData(db: Database, input: Partial<SeedDemoOptions>, onProgress: (p: SeedProgress) => void = () => undefined): Promise<SeedSummary> {
  const options = { ...SEED_DEFAULTS, ...input };
  const problems = validateOptions(options);
  if (problems.length) throw new Error(problems.join(' '));
  const started = performance.now();
  const clock = clockFor(options.anchorDate);
  const hash = await hashPassword(options.password);
  const tally = Object.fromEntries(TABLES.map((t) => [t, 0])) as Tally;
  const first = (await db.system((tx) => lastOrganisationNumber(tx, options.prefix))) + 1;
  const state: SeedProgress = { phase: 'people', orgsDone: 0, orgs: options.orgs, dealsDone: 0, dealsTotal: options.orgs * options.deals };
  const progress = (phase: SeedProgress['phase'], newDeals: number) => {
    state.phase = phase;
    state.dealsDone += newDeals;
    onProgress({ ...state });
  };

  const organizations: SeededOrganization[] = new Array(options.orgs);
  let next = 0;
  const worker = async () => {
    while (next < options.orgs) {
      const i = next++;
      organizations[i] = await seedOrganisation(db, { k: first + i, options, clock, hash, tally, progress });
      state.orgsDone++;
    }
  };
  const parallel = Math.max(1, Math.min(options.parallel ?? (db.kind === 'postgres' ? 2 : 1), options.orgs));
  await Promise.all(Array.from({ length: parallel }, worker));

  if (options.vacuum !== false && options.orgs > 0) {
    progress('vacuum', 0);
    // Fresh statistics and visibility maps: the planner and index-only scans need them.
    await db.owner((conn) => conn.exec('VACUUM (ANALYZE) organizations, users, memberships, clients, deals, payments, invoices, payment_approvals'));
  }
  return { organizations, rows: tally, seconds: (performance.now() - started) / 1000, password: options.password };
}

export function validateOptions(o: SeedDemoOptions): string[] {
  const problems: string[] = [];
  const whole = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) problems.push(`--${name} must be a whole number from ${min} to ${max}.`);
  };
  whole('orgs', o.orgs, 0, 100_000);
  whole('users', o.users, 2, 100_000);
  whole('clients', o.clients, 1, 10_000_000);
  whole('deals', o.deals, 0, 50_000_000);
  whole('payments-per-deal', o.paymentsPerDeal, 0, 50);
  whole('seed', o.seed, 0, 2 ** 32 - 1);
  whole('batch-size', o.batchSize, 1, 100_000);
  if (o.parallel !== undefined) whole('parallel', o.parallel, 1, 16);
  if (o.anchorDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.anchorDate)) problems.push('--anchor-date must be YYYY-MM-DD.');
  const weak = checkPasswordPolicy(o.password, {});
  if (weak.length) problems.push(`--password refused: ${weak.join(' ')}`);
  return problems;
}

/** Parses the command's arguments (the seeds' `--users/--clients/--deals` alone work too). */
export function parseSeedArgs(args: string[]): Partial<SeedDemoOptions> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      orgs: { type: 'string' }, users: { type: 'string' }, clients: { type: 'string' }, deals: { type: 'string' },
      'payments-per-deal': { type: 'string' }, seed: { type: 'string' }, password: { type: 'string' }, prefix: { type: 'string' },
      'batch-size': { type: 'string' }, 'anchor-date': { type: 'string' }, 'no-vacuum': { type: 'boolean' }, parallel: { type: 'string' },
      'skip-fk-checks': { type: 'boolean' },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v.replace(/_/g, '')));
  const parsed: Partial<SeedDemoOptions> = {
    orgs: num(values.orgs), users: num(values.users), clients: num(values.clients), deals: num(values.deals),
    paymentsPerDeal: num(values['payments-per-deal']), seed: num(values.seed), password: values.password, prefix: values.prefix?.trim(),
    batchSize: num(values['batch-size']), anchorDate: values['anchor-date'], vacuum: values['no-vacuum'] ? false : undefined,
    parallel: num(values.parallel), skipFkChecks: values['skip-fk-checks'] ? true : undefined,
  };
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined)) as Partial<SeedDemoOptions>;
}

export const seedDemoDataCommand: Command = {
  summary: 'Generate demo data at scale: [--orgs N] --users N --clients N --deals N [--payments-per-deal N] [--seed N] [--password P] [--anchor-date D]',
  async run({ db, args, out }) {
    let options: SeedDemoOptions;
    try {
      options = { ...SEED_DEFAULTS, ...parseSeedArgs(args) };
    } catch (err) {
      out((err as Error).message);
      return 2;
    }
    const problems = validateOptions(options);
    if (problems.length) {
      out(problems.join('\n'));
      return 2;
    }
    await prepareDatabase(db);
    out(
      `Seeding ${options.orgs} organisation(s) × ${options.users} users, ${options.clients} clients, ${options.deals} deals, ` +
        `${options.paymentsPerDeal} payments per deal (seed ${options.seed}, data up to ${options.anchorDate ?? dayString(Math.floor(Date.now() / 86_400_000))}) on ${db.kind}.`,
    );
    const tty = process.stdout.isTTY === true;
    const summary = await seedDemoData(db, options, progressPrinter((s) => process.stdout.write(s), tty));
    if (tty) process.stdout.write('\n');
    for (const line of formatSummary(summary)) out(line);
    return 0;
  },
};

/** Rows per table of the whole database (for reports). */
export async function countRows(db: Database): Promise<Record<string, number>> {
  return db.system(async (tx) => {
    const [row] = await rows<Record<string, number>>(
      tx,
      sql.raw(`SELECT ${TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(', ')}`),
    );
    return row ?? {};
  });
}
