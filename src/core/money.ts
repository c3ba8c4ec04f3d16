// Exact money: decimal.js with one rounding rule (half-up to cents). Amounts travel as strings.
import { Decimal } from 'decimal.js';

export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Money = Decimal;
export type MoneyInput = Decimal.Value;

export const money = (value: MoneyInput): Decimal => new Money(value);

/** Two decimal places, half-up, as the wire format wants it ("5000.00"). */
export const toCents = (value: MoneyInput): string => new Money(value).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);

export const sum = (values: MoneyInput[]): Decimal => values.reduce<Decimal>((acc, v) => acc.plus(v), new Money(0));
