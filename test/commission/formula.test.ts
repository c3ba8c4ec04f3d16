// The pure parts: the one rounding rule, period boundaries and streak levels.
import { describe, expect, it } from 'vitest';
import { accrualCommission, convert, statementFigures } from '../../src/sales/commission/formula.ts';
import { periodContaining } from '../../src/sales/commission/periods.ts';
import { nextLevel, streakRating } from '../../src/sales/streaks/levels.ts';

describe('commission formula', () => {
  it('converts exactly and rounds half-up to cents once', () => {
    expect(convert('777.77', '1.0857')).toBe('844.424889');
    expect(accrualCommission('333.33', '5.00')).toBe('16.67'); // 16.6665
    expect(accrualCommission('0.10', '5.00')).toBe('0.01'); // 0.005 → up, not to even
    expect(accrualCommission('0.30', '5.00')).toBe('0.02'); // 0.015
    expect(accrualCommission('-0.30', '5.00')).toBe('-0.02'); // a claw-back mirrors its accrual
    // 0.1 + 0.2 in floating point would not survive this:
    expect(convert('0.10', '3')).toBe('0.3');
  });

  it('statement: round(Σ base × rate / 100 × fx) + bonus − penalty', () => {
    const f = statementFigures({ salesBase: '3498.014889', weightedBase: '17490.074445', rateOverride: null, exchangeRate: '1', bonus: '100.00', penalty: '25.50' });
    expect(f).toEqual({ sales_base: '3498.01', commission: '174.90', total_commission: '274.90', final_amount: '249.40' });
    const payout = statementFigures({ salesBase: '1500', weightedBase: '11250', rateOverride: null, exchangeRate: '133.5', bonus: '500', penalty: '0' });
    expect(payout.commission).toBe('15018.75');
    const override = statementFigures({ salesBase: '3498.014889', weightedBase: '0', rateOverride: '6.25', exchangeRate: '1', bonus: '0', penalty: '300' });
    expect(override).toMatchObject({ commission: '218.63', final_amount: '-81.37' }); // a penalty may exceed the commission
  });
});

describe('periods', () => {
  it('daily, weekly (Monday–Sunday), monthly and yearly boundaries', () => {
    expect(periodContaining('daily', '2024-02-29')).toEqual({ kind: 'daily', start: '2024-02-29', end: '2024-02-29' });
    expect(periodContaining('weekly', '2024-03-03')).toEqual({ kind: 'weekly', start: '2024-02-26', end: '2024-03-03' }); // a Sunday
    expect(periodContaining('weekly', '2024-02-26')).toEqual({ kind: 'weekly', start: '2024-02-26', end: '2024-03-03' }); // a Monday
    expect(periodContaining('monthly', '2024-02-10')).toEqual({ kind: 'monthly', start: '2024-02-01', end: '2024-02-29' });
    expect(periodContaining('monthly', '2023-12-31')).toEqual({ kind: 'monthly', start: '2023-12-01', end: '2023-12-31' });
    expect(periodContaining('yearly', '2025-07-04')).toEqual({ kind: 'yearly', start: '2025-01-01', end: '2025-12-31' });
  });
});

describe('streak levels', () => {
  it('labels and the days to the next level', () => {
    const cases: [number, string, number, string | null][] = [
      [0, 'New', 1, 'Beginner'],
      [1, 'Beginner', 4, 'Getting Started'],
      [4, 'Beginner', 1, 'Getting Started'],
      [5, 'Getting Started', 5, 'Rising Star'],
      [10, 'Rising Star', 10, 'Sales Pro'],
      [20, 'Sales Pro', 10, 'Sales Master'],
      [30, 'Sales Master', 20, 'Sales Legend'],
      [49, 'Sales Master', 1, 'Sales Legend'],
      [50, 'Sales Legend', 0, null],
      [120, 'Sales Legend', 0, null],
    ];
    for (const [streak, label, days, next] of cases) {
      expect(streakRating(streak), String(streak)).toBe(label);
      expect(nextLevel(streak), String(streak)).toEqual({ days, label: next });
    }
  });
});
