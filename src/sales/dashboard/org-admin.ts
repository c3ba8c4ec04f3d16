// The org-admin dashboard (`GET /api/org_admin/dashboard/`): one organisation's month at a glance,
// in the shape the web client's /org-admin page reads. What every figure means is written down in
// docs/api-guide.md ("Org-admin dashboard"); in short:
//   - "this month" is the calendar month containing the organisation's today (its time zone);
//   - money is verified money (verified amounts of verified payments, dated by payment date);
//     headline numbers are in the organisation's currency, every currency is listed beside them
//     as exact decimal strings, and amounts of different currencies are never added;
//   - deal figures cover the deals dated in the chart window (this month and the five before).
// Every query is bounded: by period on an index (deal_date, payments' status+created_at, audit and
// security time indexes), by LIMIT, or by the size of the organisation (members, pending queue).
import { statfs } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { rows, sql } from '../../core/db/database.ts';
import { hasPermission } from '../../core/http/auth.ts';
import { money, toCents, type Money } from '../../core/money.ts';
import { MONTHS, addDays, periodOf, previousPeriod, type Period } from './periods.ts';
import * as repo from './repo.ts';
import { headline, orgFacts, type Ctx } from './service.ts';

const CHART_MONTHS = 6;
const TEAM_LIMIT = 10;
const ACTIVITY_LIMIT = 10;
const ONLINE_MINUTES = 15;
const ALERT_DAYS = 7;
const STORAGE_WARNING_PERCENT = 90;
const DATABASE_SLOW_MS = 500;

/** What the use case needs to know about the deployment for the system checks. */
export interface SystemProbe {
  /** The directory whose volume holds uploaded files; null when files are kept in S3. */
  storageDir: string | null;
  /** SMTP delivery is configured (otherwise e-mails wait in the outbox by design). */
  smtpConfigured: boolean;
}

type Warn = 'Healthy' | 'Online' | 'Warning';

/** Cents as a number for the client's charts and formatters; exact for amounts below 2^53 cents. */
const num = (amount: string): number => Number(toCents(amount));
/** part / whole as a percentage, half-up to one decimal; 0 when the whole is 0. */
const pct = (part: Money, whole: Money): number => (whole.isZero() ? 0 : part.div(whole).times(100).toDecimalPlaces(1).toNumber());
const signed = (n: number): string => `${n > 0 ? '+' : ''}${n.toFixed(1)}%`;

/** First day of the month `back` months before the one containing `today`. */
function monthStart(today: string, back: number): string {
  const d = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1 - back, 1));
  return d.toISOString().slice(0, 10);
}

/** The previous month from its first day to the same day of the month as today (clamped). */
function likeForLike(month: Period, today: string): Period {
  const previous = previousPeriod(month);
  const end = addDays(previous.start, Number(today.slice(8, 10)) - 1);
  return { ...previous, end: end < previous.end ? end : previous.end };
}

/** Change from `before` to `now` in percent; 100 when growing from nothing, 0 when both are 0. */
function growth(now: string, before: string): number {
  const b = money(before);
  if (b.isZero()) return money(now).isZero() ? 0 : 100;
  return money(now).minus(b).div(b).times(100).toDecimalPlaces(1).toNumber();
}

/**
 * Payments cannot be dated after the day they are recorded (payments service), so a payment
 * dated on or after `start` was recorded on or after it: this lower bound on created_at keeps the
 * scan on the payments (organization_id, status, created_at) index. One day of margin covers any
 * time-zone difference between the organisation and the session.
 */
const recordedSince = (start: string) => sql`p.created_at >= ${addDays(start, -1)}::date::timestamptz`;

// ---------------------------------------------------------------------------------------------
// Deal pipeline

const STAGES = [
  { key: 'pending', stage: 'Awaiting verification' },
  { key: 'partial', stage: 'Partially paid' },
  { key: 'paid', stage: 'Fully paid' },
  { key: 'rejected', stage: 'Rejected' },
] as const;

interface StageRow {
  stage: string;
  currency: string;
  count: number;
  value: string;
  paid_share: string;
  this_week: number;
}

async function pipeline(ctx: Ctx, orgId: string, currency: string, window: Period, week: Period) {
  // Stages follow the derived deal statuses: pending = nothing verified yet; rejected = every
  // payment rejected; verified deals are fully paid once verified money reaches the deal value.
  const list = await rows<StageRow>(
    ctx.tx,
    sql`SELECT CASE WHEN d.verification_status = 'pending' THEN 'pending' WHEN d.verification_status = 'rejected' THEN 'rejected'
                    WHEN d.verified_total >= d.deal_value THEN 'paid' ELSE 'partial' END AS stage,
               d.currency, count(*)::int AS count, sum(d.deal_value)::text AS value,
               sum(LEAST(d.verified_total / d.deal_value, 1))::text AS paid_share,
               count(*) FILTER (WHERE d.deal_date BETWEEN ${week.start} AND ${week.end})::int AS this_week
        FROM deals d
        WHERE d.organization_id = ${orgId} AND d.deleted_at IS NULL AND d.deal_date BETWEEN ${window.start} AND ${window.end}
        GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const stages = STAGES.map(({ key, stage }) => {
    const mine = list.filter((r) => r.stage === key);
    const count = mine.reduce((n, r) => n + r.count, 0);
    // Each deal's verified share of its own value: a ratio, so deals of any currency average together.
    const share = mine.reduce((acc, r) => acc.plus(r.paid_share), money(0));
    const main = mine.find((r) => r.currency === currency);
    return {
      key,
      stage,
      count,
      value: num(main?.value ?? '0'),
      currency,
      by_currency: mine.map((r) => ({ currency: r.currency, amount: toCents(r.value), count: r.count })),
      progress: pct(share, money(count)),
    };
  });
  const newThisWeek = list.reduce((n, r) => n + r.this_week, 0);
  return { stages, newThisWeek };
}

// ---------------------------------------------------------------------------------------------
// Team members

interface MemberRow {
  id: string;
  email: string;
  role: string;
  target: string;
  online: boolean;
}

async function team(ctx: Ctx, orgId: string, currency: string, month: Period) {
  const standings = await repo.individualStandings(ctx.tx, orgId, month.start, month.end, currency);
  const ids = standings.map((s) => s.id);
  if (ids.length === 0) return { members: [], average: 0 };
  const details = await rows<MemberRow>(
    ctx.tx,
    sql`SELECT u.id, u.email, COALESCE(r.name, '') AS role, m.sales_target::text AS target,
               (COALESCE(u.last_login >= now() - make_interval(mins => ${ONLINE_MINUTES}), false) OR EXISTS (
                 SELECT 1 FROM audit_log a WHERE a.organization_id = ${orgId} AND a.actor_id = u.id
                   AND a.created_at >= now() - make_interval(mins => ${ONLINE_MINUTES}))) AS online
        FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN roles r ON r.id = m.role_id
        WHERE m.organization_id = ${orgId} AND u.id = ANY(${sql.param(ids)}::bigint[])`,
  );
  const listed = ids.slice(0, TEAM_LIMIT);
  // Each listed member's verified money this month in every currency, and the deals it paid into.
  const perCurrency = await rows<{ user_id: string; currency: string; amount: string; count: number; deals: number }>(
    ctx.tx,
    sql`SELECT d.created_by AS user_id, d.currency, sum(p.verified_amount)::text AS amount, count(*)::int AS count, count(DISTINCT d.id)::int AS deals
        FROM payments p JOIN deals d ON d.id = p.deal_id
        WHERE p.organization_id = ${orgId} AND p.status = 'verified' AND ${recordedSince(month.start)}
          AND p.payment_date BETWEEN ${month.start} AND ${month.end} AND d.deleted_at IS NULL
          AND d.created_by = ANY(${sql.param(listed)}::bigint[])
        GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const byId = new Map(details.map((d) => [d.id, d]));
  const scores: number[] = [];
  const members = standings.map((s) => {
    const d = byId.get(s.id);
    const mine = perCurrency.filter((r) => r.user_id === s.id);
    const target = money(d?.target ?? 0);
    const score = pct(money(s.amount), target);
    if (!target.isZero()) scores.push(score);
    return {
      id: s.id,
      name: s.name || (d?.email ?? ''),
      role: d?.role ?? '',
      avatar: s.picture,
      performance: score,
      target: target.isZero() ? null : toCents(target),
      status: d?.online ? ('online' as const) : ('offline' as const),
      deals: mine.reduce((n, r) => n + r.deals, 0),
      revenue: num(s.amount),
      currency,
      revenue_by_currency: mine.map((r) => ({ currency: r.currency, amount: toCents(r.amount), count: r.count })),
    };
  });
  // The mean of the scores of members who have a target (members without one have no score).
  const average = scores.length ? scores.reduce((acc, p) => acc.plus(p), money(0)).div(scores.length).toDecimalPlaces(1).toNumber() : 0;
  return { members: members.slice(0, TEAM_LIMIT), average };
}

// ---------------------------------------------------------------------------------------------
// Recent activities (the audit log)

const ENTITY_LABELS: Record<string, string> = { session: '', organization: 'Organisation', commission_accrual: 'Commission', commission_statement: 'Commission statement', commission_run: 'Commission run', commission_plan: 'Commission plan' };
const VERBS: Record<string, string> = {
  create: 'created', update: 'updated', delete: 'deleted', verify: 'verified', reject: 'rejected', request_info: 'information requested',
  approve: 'approved', deactivate: 'deactivated', login: 'signed in', logout: 'signed out', revoke: 'revoked', cancel: 'cancelled',
  refund: 'refunded', bad_debt: 'written off', role_change: 'role changed', set_sales_target: 'sales target set', log_activity: 'activity logged',
};
const TYPES: Record<string, string> = {
  session: 'security', user: 'user', role: 'user', team: 'user', payment: 'revenue', invoice: 'revenue', exchange_rate: 'revenue',
  commission_accrual: 'revenue', commission_statement: 'revenue', commission_run: 'revenue', commission_plan: 'revenue', deal: 'performance', client: 'performance',
};
const WARNING_ACTIONS = new Set(['reject', 'delete', 'deactivate', 'revoke', 'cancel', 'reverse', 'refund', 'bad_debt']);
const SUCCESS_ACTIONS = new Set(['create', 'verify', 'approve', 'pay', 'login']);
const IDENTIFIERS = ['deal_id', 'transaction_id', 'invoice', 'deal', 'email', 'name', 'client_name', 'payment'];

const SOURCES: Record<string, string> = { linkedin: 'LinkedIn', instagram: 'Instagram', google: 'Google', referral: 'Referral', others: 'Others' };
const words = (s: string) => s.replace(/_/g, ' ');
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function ago(seconds: number, at: Date): string {
  const unit = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'} ago`;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return unit(Math.floor(seconds / 60), 'minute');
  if (seconds < 86_400) return unit(Math.floor(seconds / 3600), 'hour');
  if (seconds < 30 * 86_400) return unit(Math.floor(seconds / 86_400), 'day');
  return at.toISOString().slice(0, 10);
}

interface AuditRow {
  id: string;
  entity: string;
  entity_id: string | null;
  action: string;
  old_values: Record<string, unknown> | null;
  new_values: Record<string, unknown> | null;
  created_at: string;
  user_name: string | null;
  avatar: string | null;
  ref: string | null;
  age: number;
}

function describe(r: AuditRow, label: string): string {
  const before = r.old_values ?? {};
  const after = r.new_values ?? {};
  const parts: string[] = [];
  const id = r.ref ?? IDENTIFIERS.map((k) => after[k] ?? before[k]).find((v) => typeof v === 'string' && v !== '');
  if (typeof id === 'string') parts.push(`${label || 'Session'} ${id}`.trim());
  if (typeof before.status === 'string' && typeof after.status === 'string') parts.push(`status ${before.status} → ${after.status}`);
  const amount = ['deal_value', 'received_amount', 'amount'].map((k) => after[k]).find((v) => typeof v === 'string' || typeof v === 'number');
  if (amount !== undefined && typeof after.currency === 'string') parts.push(`${String(amount)} ${after.currency}`);
  if (parts.length === 0) return r.entity_id ? `${label || 'Session'} ${r.entity_id}` : label || 'Session';
  return parts.join(' · ');
}

async function activities(ctx: Ctx, orgId: string) {
  const list = await rows<AuditRow>(
    ctx.tx,
    sql`SELECT a.id, a.entity, a.entity_id, a.action, a.old_values, a.new_values, a.created_at,
               COALESCE(NULLIF(trim(u.first_name || ' ' || u.last_name), ''), u.email) AS user_name, u.profile_picture AS avatar,
               COALESCE(p.transaction_id, d.deal_code) AS ref, GREATEST(extract(epoch FROM now() - a.created_at), 0)::float8 AS age
        FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
        LEFT JOIN payments p ON p.id = (CASE WHEN a.entity = 'payment' AND a.entity_id ~ '^[1-9][0-9]{0,17}$' THEN a.entity_id::bigint END)
        LEFT JOIN deals d ON d.id = (CASE WHEN a.entity = 'deal' AND a.entity_id ~ '^[1-9][0-9]{0,17}$' THEN a.entity_id::bigint END)
        WHERE a.organization_id = ${orgId} ORDER BY a.created_at DESC, a.id DESC LIMIT ${ACTIVITY_LIMIT}`,
  );
  return list.map((r) => {
    const label = ENTITY_LABELS[r.entity] ?? capitalise(words(r.entity));
    const at = new Date(r.created_at);
    return {
      id: r.id,
      type: TYPES[r.entity] ?? 'settings',
      action: capitalise(`${label} ${VERBS[r.action] ?? words(r.action)}`.trim()),
      details: describe(r, label),
      time: ago(Number(r.age), at),
      timestamp: at.toISOString(),
      user: r.user_name ?? 'System',
      avatar: r.avatar,
      status: WARNING_ACTIONS.has(r.action) ? ('warning' as const) : SUCCESS_ACTIONS.has(r.action) ? ('success' as const) : ('info' as const),
      entity: r.entity,
      entity_id: r.entity_id,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// System status

async function storageUsage(dir: string | null): Promise<number | null> {
  if (!dir) return null;
  try {
    const s = await statfs(dir);
    const used = s.blocks - s.bfree;
    const total = used + s.bavail; // what df reports: the share of the space users may fill
    return total > 0 ? pct(money(used), money(total)) : null;
  } catch {
    return null;
  }
}

async function systemStatus(ctx: Ctx, orgId: string, probe: SystemProbe) {
  const started = performance.now();
  await rows(ctx.tx, sql`SELECT 1`);
  const latency = Math.round(performance.now() - started);
  const [mail] = await rows<{ failed: number; waiting: number }>(
    ctx.tx,
    sql`SELECT count(*) FILTER (WHERE status = 'failed')::int AS failed,
               count(*) FILTER (WHERE status IN ('queued', 'sending') AND created_at < now() - interval '15 minutes')::int AS waiting
        FROM email_outbox WHERE organization_id = ${orgId} AND created_at >= now() - interval '24 hours'`,
  );
  const usage = await storageUsage(probe.storageDir);
  const database: Warn = latency <= DATABASE_SLOW_MS ? 'Healthy' : 'Warning';
  const api: Warn = (mail?.failed ?? 0) > 0 || (probe.smtpConfigured && (mail?.waiting ?? 0) > 0) ? 'Warning' : 'Online';
  const storage = probe.storageDir === null ? 'External (S3)' : usage === null ? 'Unknown' : `${usage}% Used`;
  const warnings = [database === 'Warning', api === 'Warning', usage !== null && usage >= STORAGE_WARNING_PERCENT].filter(Boolean).length;
  return {
    status: { database, api_services: api, storage, last_backup: null, database_latency_ms: latency, emails_failed_24h: mail?.failed ?? 0 },
    usage,
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------

/** The whole dashboard for the caller's organisation (404 without one, as the other dashboards). */
export async function orgAdminDashboard(ctx: Ctx, probe: SystemProbe) {
  const facts = await orgFacts(ctx);
  const orgId = facts.orgId;
  const month = periodOf('monthly', facts.today);
  const week = periodOf('weekly', facts.today);
  // Deals may be dated ahead: the window runs to the end of this month (or of this week, if later).
  const window: Period = { kind: 'monthly', start: monthStart(facts.today, CHART_MONTHS - 1), end: week.end > month.end ? week.end : month.end };
  const before = likeForLike(month, facts.today);

  const revenue = headline(await repo.moneyByCurrency(ctx.tx, { orgId, start: month.start, end: month.end }), facts.currency);
  const previous = headline(await repo.moneyByCurrency(ctx.tx, { orgId, start: before.start, end: before.end }), facts.currency);
  const monthlyGrowth = growth(revenue.amount, previous.amount);
  const deals = await pipeline(ctx, orgId, facts.currency, window, week);
  const people = await team(ctx, orgId, facts.currency, month);
  const [counts] = await rows<{ users: number; pending: number; alerts: number }>(
    ctx.tx,
    sql`SELECT (SELECT count(*)::int FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.organization_id = ${orgId} AND m.is_active AND u.is_active) AS users,
               (SELECT count(*)::int FROM payments WHERE organization_id = ${orgId} AND status = 'pending') AS pending,
               (SELECT count(*)::int FROM security_events WHERE organization_id = ${orgId} AND severity IN ('high', 'critical')
                 AND created_at >= now() - make_interval(days => ${ALERT_DAYS})) AS alerts`,
  );
  const series = await repo.salesSeries(ctx.tx, { orgId, start: window.start, end: facts.today, currency: facts.currency, bucket: 'month' });
  const bySource = await rows<{ source: string; amount: string }>(
    ctx.tx,
    sql`SELECT d.source_type AS source, sum(p.verified_amount)::text AS amount
        FROM payments p JOIN deals d ON d.id = p.deal_id
        WHERE p.organization_id = ${orgId} AND p.status = 'verified' AND ${recordedSince(month.start)}
          AND p.payment_date BETWEEN ${month.start} AND ${month.end} AND d.deleted_at IS NULL AND d.currency = ${facts.currency}
        GROUP BY 1 ORDER BY sum(p.verified_amount) DESC, 1`,
  );
  const sourceTotal = bySource.reduce((acc, r) => acc.plus(r.amount), money(0));
  const system = await systemStatus(ctx, orgId, probe);
  const recent = hasPermission(ctx.actor, 'audit:view') ? await activities(ctx, orgId) : [];

  const stage = (key: string) => deals.stages.find((s) => s.key === key)!;
  const total = deals.stages.reduce((n, s) => n + s.count, 0);
  const byMonth = new Map(series.map((s) => [s.bucket.slice(0, 7), s.amount]));
  const months = Array.from({ length: CHART_MONTHS }, (_, i) => monthStart(facts.today, CHART_MONTHS - 1 - i).slice(0, 7));

  return {
    overview: {
      total_revenue: num(revenue.amount),
      currency: facts.currency,
      revenue_by_currency: revenue.by_currency,
      active_deals: stage('pending').count + stage('partial').count,
      team_performance: people.average,
      conversion_rate: pct(money(stage('partial').count + stage('paid').count), money(total)),
      monthly_growth: monthlyGrowth,
      total_users: counts?.users ?? 0,
      pending_approvals: counts?.pending ?? 0,
      system_alerts: (counts?.alerts ?? 0) + system.warnings,
      data_usage: system.usage,
      period: { start_date: month.start, end_date: facts.today, compared_with: { start_date: before.start, end_date: before.end } },
      deals_window: { start_date: window.start, end_date: window.end },
    },
    team_members: people.members,
    deal_pipeline: deals.stages,
    analytics: {
      monthly_performance: months.map((m) => {
        const amount = toCents(byMonth.get(m) ?? '0');
        return { month: MONTHS[Number(m.slice(5, 7)) - 1]!, period: m, value: Number(amount), amount };
      }),
      revenue_distribution: bySource.map((r) => ({ category: SOURCES[r.source] ?? capitalise(words(r.source)), source_type: r.source, percentage: pct(money(r.amount), sourceTotal), amount: toCents(r.amount) })),
      insights: { revenue_growth: signed(monthlyGrowth), new_deals: deals.newThisWeek, team_efficiency: `${people.average.toFixed(1)}%` },
      currency: facts.currency,
    },
    recent_activities: recent,
    system_status: system.status,
  };
}
