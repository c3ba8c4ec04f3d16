// Commission periods: daily, weekly (Monday to Sunday), monthly and yearly, on calendar dates.
// Dates are plain YYYY-MM-DD strings; "today" is the organisation's (organizations/clock.ts).

export const PERIOD_KINDS = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

export interface Period {
  /** 'custom' is an arbitrary range: figures are computed live and never stored or approved. */
  kind: PeriodKind | 'custom';
  start: string;
  end: string;
}

/** A period that statements are stored for. */
export interface StandardPeriod extends Period {
  kind: PeriodKind;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);
const parse = (day: string) => new Date(`${day}T00:00:00Z`);

export function addDays(day: string, days: number): string {
  const d = parse(day);
  d.setUTCDate(d.getUTCDate() + days);
  return iso(d);
}

/** The period of `kind` that contains `day`. */
export function periodContaining(kind: PeriodKind, day: string): StandardPeriod {
  const d = parse(day);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (kind) {
    case 'daily':
      return { kind, start: day, end: day };
    case 'weekly': {
      const monday = addDays(day, -((d.getUTCDay() + 6) % 7));
      return { kind, start: monday, end: addDays(monday, 6) };
    }
    case 'monthly':
      return { kind, start: iso(new Date(Date.UTC(y, m, 1))), end: iso(new Date(Date.UTC(y, m + 1, 0))) };
    case 'yearly':
      return { kind, start: `${String(y).padStart(4, '0')}-01-01`, end: `${String(y).padStart(4, '0')}-12-31` };
  }
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((parse(b).getTime() - parse(a).getTime()) / 86_400_000);
}
