// Period boundaries as calendar dates in the organisation's time zone.

export type PeriodKind = 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';

export interface Period {
  kind: PeriodKind;
  start: string;
  end: string;
}

const d = (s: string) => new Date(`${s}T00:00:00Z`);
const iso = (x: Date) => x.toISOString().slice(0, 10);
const addDays = (s: string, n: number) => iso(new Date(d(s).getTime() + n * 86400_000));

/** The period containing `today` (weeks start on Monday). */
export function periodOf(kind: PeriodKind, today: string): Period {
  const t = d(today);
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth();
  switch (kind) {
    case 'daily':
      return { kind, start: today, end: today };
    case 'weekly': {
      const offset = (t.getUTCDay() + 6) % 7;
      const start = addDays(today, -offset);
      return { kind, start, end: addDays(start, 6) };
    }
    case 'monthly':
      return { kind, start: iso(new Date(Date.UTC(y, m, 1))), end: iso(new Date(Date.UTC(y, m + 1, 0))) };
    case 'quarterly': {
      const q = Math.floor(m / 3) * 3;
      return { kind, start: iso(new Date(Date.UTC(y, q, 1))), end: iso(new Date(Date.UTC(y, q + 3, 0))) };
    }
    case 'yearly':
      return { kind, start: `${y}-01-01`, end: `${y}-12-31` };
  }
}

/** The period just before `p`. */
export function previousPeriod(p: Period): Period {
  return periodOf(p.kind, addDays(p.start, -1));
}

export { addDays };

/** ISO week number, for the chart's "W34" labels. */
export function isoWeek(s: string): number {
  const t = d(s);
  const day = (t.getUTCDay() + 6) % 7;
  const thursday = new Date(t.getTime() + (3 - day) * 86400_000);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return 1 + Math.floor((thursday.getTime() - yearStart) / (7 * 86400_000));
}

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
