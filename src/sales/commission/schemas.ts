import { z } from 'zod';
import { decimalInput, wireId, idRef } from '../../core/http/fields.ts';
import { pageQueryFields } from '../../core/http/pagination.ts';
import { dateOnly } from '../payments/schemas.ts';
import { PERIOD_KINDS } from './periods.ts';

export const currencyCode = z.string().trim().toUpperCase().regex(/^[A-Z]{3}$/, 'Use a 3-letter ISO 4217 currency code.');
const periodKind = z.enum(PERIOD_KINDS, { error: `Choose one of: ${PERIOD_KINDS.join(', ')}.` });

/** A number or decimal string with at most `places` decimals, within [min, max]. */
const decimal = (places: number, min: number, max: number, label: string) =>
  z
    .union([z.string().trim(), z.number()])
    .transform((v) => String(v))
    .pipe(
      z
        .string()
        .regex(new RegExp(`^\\d{1,12}(\\.\\d{1,${places}})?$`), `Enter a non-negative number with at most ${places} decimal places.`)
        .refine((v) => Number(v) >= min && Number(v) <= max, `${label} must be between ${min} and ${max}.`),
    );
export const ratePercent = decimal(2, 0, 100, 'The commission rate (%)');
export const fxInput = decimal(8, 0.000001, 10_000_000, 'The exchange rate');
const cents = decimalInput;

export const PeriodQuery = z.object({
  period: periodKind.optional(),
  start_date: dateOnly.optional(),
  end_date: dateOnly.optional(),
  user_id: z.string().max(64).optional(),
});
export type PeriodQueryInput = z.infer<typeof PeriodQuery>;

export const UserParams = z.object({ user_id: z.string().max(64) });
export const IdParams = z.object({ id: z.string().max(64) });

export const UserQuery = z.object({ start_date: dateOnly.optional(), end_date: dateOnly.optional() });

export const RunBody = z.object({ period: periodKind, start_date: dateOnly.optional() });

/** One row of the web client's bulk update; `totalSales`, `id` and the dates are read but never trusted. */
export const BulkRow = z.object({
  id: z.union([z.string().max(64), z.number()]).nullable().optional(),
  user_id: z.union([z.string().trim().min(1).max(64), z.number()]).transform(String),
  totalSales: z.unknown().optional(),
  currency: currencyCode.optional(),
  rate: fxInput.optional(),
  percentage: ratePercent.optional(),
  bonus: cents.optional(),
  penalty: cents.optional(),
  start_date: z.string().max(30).optional(),
  end_date: z.string().max(30).optional(),
});
export const BulkBody = z.array(BulkRow).min(1, 'Send at least one row.').max(1000);

export const ExportQuery = z.object({
  format: z.enum(['csv', 'json']).default('csv'),
  period: periodKind.optional(),
  start_date: dateOnly.optional(),
});
export const ExportBody = z.object({ user_ids: z.array(z.union([z.string().max(64), z.number()]).transform(String)).min(1, 'No valid user IDs.').max(1000) });

export const RateListQuery = z.object({
  ...pageQueryFields,
  from_currency: currencyCode.optional(),
  to_currency: currencyCode.optional(),
  date_from: dateOnly.optional(),
  date_to: dateOnly.optional(),
});
export const RateBody = z.object({
  date: dateOnly.optional(),
  from_currency: currencyCode,
  to_currency: currencyCode.optional(),
  rate: fxInput,
});

export const PlanBody = z.object({ user_id: idRef, rate: ratePercent, effective_from: dateOnly.optional() });

// ---------------------------------------------------------------------------------------------
// Responses

const money = z.string();
const userLite = z.object({ id: wireId, full_name: z.string(), email: z.string() });

export const StatementOut = z.object({
  id: wireId.nullable(),
  user: userLite,
  period: z.string(),
  start_date: z.string(),
  end_date: z.string(),
  currency: z.string(),
  payout_currency: z.string(),
  exchange_rate: z.string(),
  rate: z.string(),
  rate_overridden: z.boolean(),
  sales_base: money,
  commission: money,
  bonus: money,
  penalty: money,
  total_commission: money,
  final_amount: money,
  accrual_count: z.number().int(),
  needs_rate_count: z.number().int(),
  status: z.string(),
  computed_at: z.string().nullable(),
  approved_at: z.string().nullable(),
  paid_at: z.string().nullable(),
});

const payoutTotal = z.object({ currency: z.string(), commission: money, bonus: money, penalty: money, total_commission: money, final_amount: money, statements: z.number().int() });

export const SummaryOut = z.object({
  period: z.string(),
  start_date: z.string(),
  end_date: z.string(),
  currency: z.string(),
  scope: z.enum(['own', 'organization', 'user']),
  totals: z.object({ sales_base: money, accrual_count: z.number().int(), needs_rate_count: z.number().int(), payouts: z.array(payoutTotal) }),
  statements: z.array(StatementOut),
});

export const AccrualOut = z.object({
  id: wireId,
  kind: z.string(),
  payment: wireId,
  transaction_id: z.string(),
  deal: wireId,
  deal_id: z.string(),
  amount: money,
  currency: z.string(),
  org_currency: z.string(),
  fx_rate: z.string().nullable(),
  base: money.nullable(),
  rate: z.string(),
  commission: money.nullable(),
  status: z.string(),
  period_date: z.string(),
  reverses: wireId.nullable(),
  reversed_by: wireId.nullable(),
  reversal_reason: z.string().nullable(),
  reversed_at: z.string().nullable(),
  created_at: z.string(),
});

export const UserCommissionOut = z.object({
  user: userLite,
  currency: z.string(),
  plan: z.object({ rate: z.string(), effective_from: z.string().nullable() }),
  statements: z.array(StatementOut),
  accruals: z.array(AccrualOut),
});

export const RunOut = z.object({
  period: z.string(),
  start_date: z.string(),
  end_date: z.string(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  frozen: z.number().int(),
  converted_accruals: z.number().int(),
  statements: z.array(StatementOut),
});

export const OrgAdminRow = z.object({
  id: wireId.nullable(),
  /** A JSON string on purpose: the web client's export keeps only rows whose user_id is a string. */
  user_id: z.string(),
  fullName: z.string(),
  email: z.string(),
  totalSales: money,
  salesCurrency: z.string(),
  currency: z.string(),
  rate: z.string(),
  percentage: z.string(),
  bonus: money,
  penalty: money,
  convertedAmt: money,
  total: money,
  totalReceivable: money,
  status: z.string(),
  period: z.string(),
  start_date: z.string(),
  end_date: z.string(),
});

export const BulkOut = z.object({ message: z.string(), updated_commissions: z.array(OrgAdminRow) });

export const ExchangeRateOut = z.object({
  id: wireId,
  date: z.string(),
  from_currency: z.string(),
  to_currency: z.string(),
  rate: z.string(),
  created_by: wireId.nullable(),
  created_at: z.string(),
});
export const ExchangeRateCreated = ExchangeRateOut.extend({ converted_accruals: z.number().int() });

export const PlanOut = z.object({ user: userLite, rate: z.string(), effective_from: z.string().nullable() });
