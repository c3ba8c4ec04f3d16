// Commission arithmetic. Exact decimals throughout (decimal.js, never a JS float) and ONE
// rounding rule: half-up to cents, applied exactly once to each reported figure and computed
// from exact inputs, never from another rounded figure.
//
//   accrual (one verified payment):  base = amount × fx                     (exact, org currency)
//                                    commission = round(base × rate / 100)  (the payment's own share)
//   statement (user, period):        commission = round(Σ base_i × rate_i / 100 × fx_payout)
//                                    final = commission + bonus − penalty   (exact: all in cents)
//
// This is product.md's `final = round(base × rate / 100 × fx) + bonus − penalty`: `base` is the
// period's verified money already converted to the organisation's currency at the rate in force
// on each verification day, and `fx` the payout rate of the statement (1 unless an org admin pays
// in another currency). Because a statement rounds the exact sum once, the sum of its payments'
// own commissions may differ from it by less than one cent per payment; the statement is what is
// approved and paid.
import { money, toCents, type MoneyInput } from '../../core/money.ts';

export const DEFAULT_RATE = '5.00';

/** amount × fx with every digit kept (numeric(30,10) holds it exactly). */
export function convert(amount: MoneyInput, fx: MoneyInput): string {
  return money(amount).times(fx).toFixed();
}

/** A payment's own commission: round(base × rate / 100). */
export function accrualCommission(base: MoneyInput, ratePercent: MoneyInput): string {
  return toCents(money(base).times(ratePercent).div(100));
}

export interface StatementInput {
  /** Σ base_i (exact). */
  salesBase: MoneyInput;
  /** Σ base_i × rate_i (exact; rate in percent). */
  weightedBase: MoneyInput;
  /** A rate (%) set for the period replaces every accrual's own rate. */
  rateOverride: MoneyInput | null;
  /** Organisation currency → payout currency. */
  exchangeRate: MoneyInput;
  bonus: MoneyInput;
  penalty: MoneyInput;
}

export interface StatementFigures {
  sales_base: string;
  commission: string;
  total_commission: string;
  final_amount: string;
}

export function statementFigures(i: StatementInput): StatementFigures {
  const weighted = i.rateOverride !== null ? money(i.salesBase).times(i.rateOverride) : money(i.weightedBase);
  const commission = toCents(weighted.div(100).times(i.exchangeRate));
  return {
    sales_base: toCents(i.salesBase),
    commission,
    total_commission: money(commission).plus(i.bonus).toFixed(2),
    final_amount: money(commission).plus(i.bonus).minus(i.penalty).toFixed(2),
  };
}

/** A rate or amount for display with a fixed number of places (no rounding beyond what is stored). */
export const fixed = (value: MoneyInput, places: number) => money(value).toFixed(places);
