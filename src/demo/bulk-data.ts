// Generated, reproducible data for one organisation at any scale: users with roles and teams,
// clients, and deals with their payments, invoices and verification decisions, held as
// columns (see bulk-sql.ts). Everything random comes from one seeded generator per organisation,
// and dates are relative to an anchor day (today unless given). Ids are not random: they are
// reserved from the tables' identity sequences (`reserveIds`) and handed in as `IdSource`s, so
// the same seed gives the same data under whatever ids the database hands out.
import { ROLE_NAMES } from '../core/access/catalog.ts';
import { ColumnRows, type IdSource } from './bulk-sql.ts';
import type { Random } from './random.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Deals are spread over this many days before the anchor day. */
export const HISTORY_DAYS = 730;

export interface Clock {
  /** Days since 1970-01-01 (UTC) of the last day with data. */
  anchorDay: number;
  /** No timestamp is later than this (now, or the end of the anchor day). */
  nowMs: number;
}

export const FIRST_NAMES = [
  'Aarav', 'Aditi', 'Alex', 'Amara', 'Anil', 'Bikash', 'Carmen', 'Chen', 'Dawa', 'Elena', 'Farah', 'Gita', 'Hana', 'Ivan', 'Jonas',
  'Kiran', 'Laila', 'Mateo', 'Maya', 'Nabin', 'Noor', 'Olga', 'Pema', 'Priya', 'Rafael', 'Rina', 'Sagar', 'Sara', 'Tenzin', 'Uma',
  'Victor', 'Wei', 'Yuki', 'Zara',
] as const;
export const LAST_NAMES = [
  'Adhikari', 'Baker', 'Bhandari', 'Costa', 'Dahal', 'Evans', 'Fischer', 'Gurung', 'Hansen', 'Ito', 'Karki', 'Khan', 'Lama', 'Lopez',
  'Magar', 'Novak', 'Okafor', 'Pandey', 'Quinn', 'Rai', 'Rossi', 'Sharma', 'Shrestha', 'Silva', 'Tamang', 'Thapa', 'Weber', 'Yadav',
] as const;
const COMPANY_HEADS = [
  'Everest', 'Lumbini', 'Harbour', 'Sakura', 'Andes', 'Nordic', 'Sahara', 'Lagoon', 'Summit', 'Cedar', 'Monsoon', 'Atlas', 'Granite',
  'Saffron', 'Orchid', 'Falcon', 'Pioneer', 'Horizon', 'Juniper', 'Meridian', 'Riverbend', 'Sterling', 'Tundra', 'Zenith',
] as const;
const COMPANY_TAILS = ['Imports', 'Textiles', 'Travel', 'Solar', 'Coffee', 'Timber', 'Logistics', 'Foods', 'Design', 'Health', 'Motors', 'Studios', 'Traders', 'Builders', 'Labs'] as const;
const COMPANY_SUFFIXES = ['Pvt. Ltd.', 'Ltd.', '& Co', 'Group', 'LLC', 'Inc.'] as const;
const NATIONALITIES = ['Nepalese', 'Nepalese', 'Nepalese', 'Indian', 'British', 'American', 'Japanese', 'German', 'Australian', 'Canadian'] as const;
const CITIES = ['Kathmandu', 'Pokhara', 'Lalitpur', 'Delhi', 'London', 'Austin', 'Osaka', 'Berlin', 'Sydney', 'Toronto'] as const;
const PRODUCTS = [
  'Website build', 'Annual support plan', 'Mobile app', 'Brand refresh', 'Cloud migration', 'Training programme', 'Consulting retainer',
  'ERP rollout', 'Marketing campaign', 'Hardware supply', 'Data platform', 'Security audit', 'Office fit-out', 'Event management',
] as const;
const DEAL_REMARKS = ['', '', '', 'Signed after the second meeting.', 'Client asked for monthly instalments.', 'Referral from an existing client.', 'Renewal of last year’s contract.'] as const;
const PAYMENT_REMARKS = ['Advance', 'Instalment', 'Instalment', 'Balance payment', 'Bank transfer', ''] as const;
const REJECT_REASONS = ['Receipt does not match the amount.', 'Bank reference not found on the statement.', 'Cheque returned unpaid.', 'Duplicate submission.'] as const;
const INFO_REQUESTS = ['Please upload the bank slip.', 'The receipt is not legible; upload it again.'] as const;

const CURRENCY = { USD: 85, EUR: 5, GBP: 5, NPR: 5 } as const;
const METHOD = { bank: 45, wallet: 20, cheque: 20, cash: 15 } as const;
const SOURCE = { referral: 30, linkedin: 25, google: 20, instagram: 10, others: 15 } as const;

export const dayString = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const formatCode = (prefix: string, n: number) => prefix + (n < 10000 ? String(n).padStart(4, '0') : String(n));

// ---------------------------------------------------------------------------------------------
// People

export interface PlannedUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  createdMs: number;
  salesTargetCents: number;
}

/** Role of the i-th user of an organisation: an admin, verifiers, a few leads and supervisors, mostly salespeople. */
export function roleForIndex(i: number): string {
  if (i === 0) return ROLE_NAMES.orgAdmin;
  if (i === 1 || i % 10 === 7) return ROLE_NAMES.verifier;
  if (i % 10 === 4) return ROLE_NAMES.teamLead;
  if (i % 20 === 9) return ROLE_NAMES.supervisor;
  if (i % 20 === 19) return ROLE_NAMES.teamMember;
  return ROLE_NAMES.salesperson;
}

export function planUsers(rng: Random, clock: Clock, domain: string, count: number, ids: IdSource): PlannedUser[] {
  const users: PlannedUser[] = [];
  const named = new Map<string, string>([[ROLE_NAMES.orgAdmin, 'admin'], [ROLE_NAMES.verifier, 'verifier'], [ROLE_NAMES.salesperson, 'sales']]);
  for (let i = 0; i < count; i++) {
    const role = roleForIndex(i);
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    // The first user of the main roles gets an easy address: admin@, verifier@, sales@.
    const easy = named.get(role);
    if (easy) named.delete(role);
    const email = easy ? `${easy}@${domain}` : `${firstName}.${lastName}.${i + 1}@${domain}`.toLowerCase();
    const createdMs = (clock.anchorDay - HISTORY_DAYS - rng.int(14, 400)) * DAY_MS + rng.int(8, 17) * HOUR_MS;
    const salesTargetCents = role === ROLE_NAMES.salesperson || role === ROLE_NAMES.teamLead ? rng.int(10, 40) * 500_000 : 0;
    users.push({ id: ids.take(), email, firstName, lastName, role, createdMs, salesTargetCents });
  }
  return users;
}

export interface PlannedTeam {
  id: string;
  name: string;
  leadId: string;
  memberIds: string[];
}

/** Each team lead leads a team of the salespeople listed after them (ids are added by the caller). */
export function planTeams(users: PlannedUser[]): Omit<PlannedTeam, 'id'>[] {
  const teams: Omit<PlannedTeam, 'id'>[] = [];
  for (const u of users) {
    if (u.role === ROLE_NAMES.teamLead) {
      teams.push({ name: `Team ${u.firstName} ${teams.length + 1}`, leadId: u.id, memberIds: [u.id] });
    } else if (u.role === ROLE_NAMES.salesperson && teams.length) {
      teams[teams.length - 1]!.memberIds.push(u.id);
    }
  }
  return teams;
}

// ---------------------------------------------------------------------------------------------
// Clients

export const clientColumns = (orgId: string) =>
  new ColumnRows(
    'clients',
    {
      id: 'bigint', client_name: 'text', email: 'text', phone_number: 'text', nationality: 'text', address: 'text', satisfaction: 'text',
      client_type: 'text', company_name: 'text', website: 'text', contact_person: 'text', created_by: 'bigint', created_at: 'ms', updated_at: 'ms',
    },
    { organization_id: { value: orgId, type: 'bigint' } },
  );

export interface ClientIndex {
  ids: string[];
  names: string[];
  owners: number[];
}

/** Client j is created at the j-th fraction of the history (long-standing clients have more deals). */
export function clientDay(clock: Clock, j: number, total: number): number {
  return clock.anchorDay - HISTORY_DAYS - 1 + Math.floor((j * HISTORY_DAYS) / Math.max(1, total));
}

export function addClient(
  rows: ReturnType<typeof clientColumns>, index: ClientIndex, rng: Random, clock: Clock, j: number, total: number, creators: PlannedUser[], ids: IdSource,
) {
  const business = rng.chance(0.6);
  const person = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
  const company = `${rng.pick(COMPANY_HEADS)} ${rng.pick(COMPANY_TAILS)}`;
  const name = business ? `${company} ${rng.pick(COMPANY_SUFFIXES)}` : person;
  const slug = (business ? company : person).toLowerCase().replace(/[^a-z]+/g, '.');
  // Every salesperson gets a client first; then owners are drawn at random.
  const ownerIndex = j < creators.length ? j : rng.int(0, creators.length - 1);
  const createdMs = Math.min(clock.nowMs - 2000, clientDay(clock, j, total) * DAY_MS + rng.int(8 * HOUR_MS, 18 * HOUR_MS));
  const id = ids.take();
  const satisfaction = rng.weighted({ satisfied: 55, neutral: 30, unsatisfied: 10, none: 5 });
  rows.add({
    id,
    client_name: name,
    email: `${slug}.${j + 1}@clients.example.test`,
    phone_number: `+97798${String(rng.int(0, 99_999_999)).padStart(8, '0')}`,
    nationality: rng.pick(NATIONALITIES),
    address: `${rng.int(1, 999)} ${rng.pick(COMPANY_HEADS)} Road, ${rng.pick(CITIES)}`,
    satisfaction: satisfaction === 'none' ? null : satisfaction,
    client_type: business ? 'business' : 'individual',
    company_name: business ? name : '',
    website: business ? `https://www.${slug.replace(/\./g, '')}.example` : '',
    contact_person: business ? person : '',
    created_by: creators[ownerIndex]!.id,
    created_at: createdMs,
    updated_at: createdMs,
  });
  index.ids.push(id);
  index.names.push(name);
  index.owners.push(ownerIndex);
}

// ---------------------------------------------------------------------------------------------
// Deals, payments, invoices and decisions

export function salesColumns(orgId: string) {
  const org = { organization_id: { value: orgId, type: 'bigint' } };
  return {
    deals: new ColumnRows(
      'deals',
      {
        id: 'bigint', deal_code: 'text', client_id: 'bigint', deal_name: 'text', deal_value: 'cents', currency: 'text', deal_date: 'day', due_date: 'day',
        declared_payment_status: 'text', payment_method: 'text', source_type: 'text', deal_remarks: 'text',
        created_by: 'bigint', updated_by: 'bigint', created_at: 'ms', updated_at: 'ms',
      },
      org,
    ),
    payments: new ColumnRows(
      'payments',
      {
        id: 'bigint', deal_id: 'bigint', transaction_id: 'text', payment_date: 'day', received_amount: 'cents', payment_method: 'text',
        payment_category: 'text', cheque_number: 'text', bank_reference: 'text', payment_remarks: 'text', status: 'text',
        verified_amount: 'cents', verified_by: 'bigint', verified_at: 'ms', verification_remarks: 'text', info_requested: 'boolean',
        created_by: 'bigint', created_at: 'ms', updated_at: 'ms',
      },
      org,
    ),
    // Invoices and decisions take their ids from the identity default: nothing refers to them here.
    invoices: new ColumnRows(
      'invoices',
      {
        invoice_code: 'text', payment_id: 'bigint', deal_id: 'bigint', amount: 'cents', total_amount: 'cents', currency: 'text',
        status: 'text', invoice_date: 'day', due_date: 'day', created_at: 'ms', updated_at: 'ms',
      },
      org,
    ),
    approvals: new ColumnRows(
      'payment_approvals',
      { payment_id: 'bigint', deal_id: 'bigint', approved_by: 'bigint', decision: 'text', verified_amount: 'cents', remarks: 'text', created_at: 'ms' },
      org,
    ),
  };
}
export type SalesColumns = ReturnType<typeof salesColumns>;

const INVOICE_STATUS = { verified: 'paid', rejected: 'rejected', pending: 'pending' } as const;

/** Older payments are decided (a few stay stuck in the queue); the last days' mostly wait. */
function paymentStatus(rng: Random, ageDays: number): 'verified' | 'rejected' | 'pending' {
  if (ageDays < 3) return rng.weighted({ pending: 75, verified: 20, rejected: 5 });
  if (ageDays < 14) return rng.weighted({ pending: 35, verified: 55, rejected: 10 });
  if (ageDays < 45) return rng.weighted({ pending: 5, verified: 85, rejected: 10 });
  return rng.weighted({ verified: 90, rejected: 9.5, pending: 0.5 });
}

/** Splits `total` cents into `n` positive parts of uneven size. */
function split(rng: Random, total: number, n: number): number[] {
  const weights = Array.from({ length: n }, () => 1 + rng.float() * 2);
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.max(1, Math.floor((total * w) / sum)));
  const used = parts.reduce((a, b) => a + b, 0);
  parts[n - 1] = Math.max(1, parts[n - 1]! + total - used);
  return parts;
}

export interface DealPlan {
  deals: number;
  paymentsPerDeal: number;
  clients: ClientIndex;
  creators: PlannedUser[];
  verifiers: PlannedUser[];
}

/** Writes deals in date order; codes DLID…, TXN-… and INV-… follow that order. */
export class DealGenerator {
  nextDeal = 0;
  lastPayment = 0;

  constructor(private readonly rng: Random, private readonly clock: Clock, private readonly plan: DealPlan) {}

  get done(): boolean {
    return this.nextDeal >= this.plan.deals;
  }

  /** The ids that `fill(…, count, …)` will use: every deal has exactly `paymentsPerDeal` payments. */
  idsFor(count: number): { deals: number; payments: number } {
    const deals = Math.max(0, Math.min(this.plan.deals, this.nextDeal + count) - this.nextDeal);
    return { deals, payments: deals * this.plan.paymentsPerDeal };
  }

  /** Adds up to `count` deals (with their payments) to `out`, with ids taken from `ids`. */
  fill(out: SalesColumns, count: number, ids: { deals: IdSource; payments: IdSource }): void {
    const { rng, clock, plan } = this;
    const end = Math.min(plan.deals, this.nextDeal + count);
    const startDay = clock.anchorDay - HISTORY_DAYS + 1;
    const latestMs = clock.nowMs - 1000;
    for (let i = this.nextDeal; i < end; i++) {
      const day = Math.min(clock.anchorDay, startDay + Math.floor(((i + rng.float()) * HISTORY_DAYS) / plan.deals));
      const createdMs = Math.min(latestMs, day * DAY_MS + rng.int(8 * HOUR_MS, 18 * HOUR_MS));
      const known = Math.max(1, Math.floor(((i + 1) * plan.clients.ids.length) / plan.deals));
      const clientIndex = rng.int(0, Math.min(known, plan.clients.ids.length) - 1);
      const ownerIndex = rng.chance(0.85) ? plan.clients.owners[clientIndex]! : rng.int(0, plan.creators.length - 1);
      const creator = plan.creators[ownerIndex]!;
      const valueCents = Math.max(1000, Math.round(Math.exp(Math.log(500) + rng.float() * Math.log(160)) / 50) * 5000 + (rng.chance(0.2) ? rng.int(1, 99) : 0));
      const currency = rng.weighted(CURRENCY);
      const method = rng.weighted(METHOD);
      const dealId = ids.deals.take();
      const n = plan.paymentsPerDeal;
      const dueDay = day + rng.int(14, 90);
      out.deals.add({
        id: dealId,
        deal_code: formatCode('DLID', i + 1),
        client_id: plan.clients.ids[clientIndex]!,
        deal_name: `${plan.clients.names[clientIndex]!.split(' ')[0]} — ${rng.pick(PRODUCTS)}`,
        deal_value: valueCents,
        currency,
        deal_date: day,
        due_date: dueDay,
        declared_payment_status: n ? 'partial_payment' : 'initial payment',
        payment_method: method,
        source_type: rng.weighted(SOURCE),
        deal_remarks: rng.pick(DEAL_REMARKS),
        created_by: creator.id,
        updated_by: creator.id,
        created_at: createdMs,
        updated_at: createdMs,
      });
      if (!n) continue;
      const fullyPaid = rng.chance(0.45);
      const total = fullyPaid ? valueCents : Math.max(n, Math.floor(valueCents * (0.2 + rng.float() * 0.7)));
      const amounts = split(rng, total, n);
      // Payment days after the deal day; a recent deal's schedule is squeezed into the days it has had.
      const offsets: number[] = [];
      for (let k = 0, at = rng.int(0, 7); k < n; k++, at += rng.int(7, 45)) offsets.push(at);
      const squeeze = Math.min(1, (clock.anchorDay - day) / Math.max(1, offsets[n - 1]!));
      let previousMs = createdMs;
      for (let k = 0; k < n; k++) {
        const paymentDay = Math.min(clock.anchorDay, day + Math.floor(offsets[k]! * squeeze));
        const paidMs = Math.min(latestMs, Math.max(previousMs + 60_000, paymentDay * DAY_MS + rng.int(8 * HOUR_MS, 19 * HOUR_MS)));
        previousMs = paidMs;
        const status = paymentStatus(rng, clock.anchorDay - paymentDay);
        const payMethod = rng.chance(0.8) ? method : rng.weighted(METHOD);
        const seq = ++this.lastPayment;
        const paymentId = ids.payments.take();
        const amount = amounts[k]!;
        const decidedMs = Math.min(clock.nowMs, paidMs + rng.int(HOUR_MS, 72 * HOUR_MS));
        const verifier = rng.pick(plan.verifiers);
        const infoRequested = status === 'pending' && rng.chance(0.08);
        const remarks = status === 'verified' ? 'Matches the bank statement.' : status === 'rejected' ? rng.pick(REJECT_REASONS) : infoRequested ? rng.pick(INFO_REQUESTS) : '';
        out.payments.add({
          id: paymentId,
          deal_id: dealId,
          transaction_id: formatCode('TXN-', seq),
          payment_date: paymentDay,
          received_amount: amount,
          payment_method: payMethod,
          payment_category: n > 1 && k === 0 ? 'advance' : fullyPaid && k === n - 1 ? 'final' : 'partial',
          cheque_number: payMethod === 'cheque' ? `CHQ${String(seq).padStart(7, '0')}` : null,
          bank_reference: payMethod === 'bank' ? `BR${rng.nextU32().toString(16).toUpperCase().padStart(8, '0')}` : '',
          payment_remarks: rng.pick(PAYMENT_REMARKS),
          status,
          verified_amount: status === 'verified' ? amount : null,
          verified_by: status === 'pending' ? null : verifier.id,
          verified_at: status === 'pending' ? null : decidedMs,
          verification_remarks: remarks,
          info_requested: infoRequested,
          created_by: creator.id,
          created_at: paidMs,
          updated_at: status === 'pending' ? paidMs : decidedMs,
        });
        out.invoices.add({
          invoice_code: formatCode('INV-', seq),
          payment_id: paymentId,
          deal_id: dealId,
          amount,
          total_amount: amount,
          currency,
          status: INVOICE_STATUS[status],
          invoice_date: paymentDay,
          due_date: dueDay,
          created_at: paidMs,
          updated_at: status === 'pending' ? paidMs : decidedMs,
        });
        if (status !== 'pending' || infoRequested) {
          out.approvals.add({
            payment_id: paymentId,
            deal_id: dealId,
            approved_by: verifier.id,
            decision: status === 'verified' ? 'approved' : status === 'rejected' ? 'rejected' : 'requires_info',
            verified_amount: status === 'verified' ? amount : null,
            remarks,
            created_at: decidedMs,
          });
        }
      }
    }
    this.nextDeal = end;
  }
}
