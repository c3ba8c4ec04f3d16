import { z } from 'zod';
import { decimalInput, wireId, wireNumber, idRef } from '../../core/http/fields.ts';
import { pageQueryFields } from '../../core/http/pagination.ts';
import { NestedPaymentBody, PAYMENT_METHODS, PaymentOut, dateOnly } from '../payments/schemas.ts';

export const SOURCE_TYPES = ['linkedin', 'instagram', 'google', 'referral', 'others'] as const;
export const DEAL_PAYMENT_STATUSES = ['initial payment', 'partial_payment', 'full_payment'] as const;

const currency = z.string().trim().toUpperCase().regex(/^[A-Z]{3}$/, 'Use a 3-letter ISO 4217 currency code.');
const dealValue = decimalInput.refine((v) => Number(v) > 0, 'Ensure this value is greater than 0.');
// The web client writes 'initial_payment' in places; the seeds write it with a space.
const paymentStatus = z
  .string()
  .transform((v) => (v === 'initial_payment' ? 'initial payment' : v))
  .pipe(z.enum(DEAL_PAYMENT_STATUSES));

const DealFields = {
  client_id: idRef.optional(),
  client: idRef.optional(),
  project_id: idRef.nullable().optional(),
  deal_name: z.string().trim().max(255).optional(),
  deal_value: dealValue,
  currency: currency.optional(),
  deal_date: dateOnly.optional(),
  due_date: dateOnly.nullable().optional(),
  payment_status: paymentStatus.optional(),
  payment_method: z.enum(PAYMENT_METHODS),
  source_type: z.enum(SOURCE_TYPES).optional(),
  deal_remarks: z.string().trim().max(5000).optional(),
};

export const DealCreateBody = z
  .object({ ...DealFields, payments: z.array(NestedPaymentBody).max(50).optional() })
  .refine((b) => b.client_id || b.client, { message: 'This field is required.', path: ['client_id'] });
export type DealCreateInput = z.infer<typeof DealCreateBody>;

export const DealUpdateBody = z.object({
  ...DealFields,
  deal_value: dealValue.optional(),
  payment_method: z.enum(PAYMENT_METHODS).optional(),
  verification_status: z.enum(['pending', 'verified', 'rejected']).optional(),
  // The web client always sends version: 'edited'; a number is an optimistic-lock check.
  version: z.union([z.number().int(), z.string().max(20)]).optional(),
});
export type DealUpdateInput = z.infer<typeof DealUpdateBody>;

export const DealListQuery = z.object({
  ...pageQueryFields,
  search: z.string().max(200).optional(),
  ordering: z.string().max(50).optional(),
  client: z.string().max(64).optional(),
  client_id: z.string().max(64).optional(),
  status: z.string().max(30).optional(),
  payment_status: z.string().max(30).optional(),
  verification_status: z.enum(['pending', 'verified', 'rejected']).optional(),
  date_from: dateOnly.optional(),
  date_to: dateOnly.optional(),
  start_date: dateOnly.optional(),
  end_date: dateOnly.optional(),
  created_by: z.string().max(64).optional(),
});

const ActivityOut = z.object({
  id: wireId,
  action: z.string(),
  description: z.string(),
  message: z.string(),
  timestamp: z.string(),
  created_at: z.string(),
  user: z.object({ id: wireId, first_name: z.string(), full_name: z.string(), username: z.string() }).nullable(),
});
export const ActivityList = z.array(ActivityOut);

export const DealOut = z.object({
  id: wireId,
  deal_id: z.string(),
  deal_code: z.string(),
  organization: wireId,
  client: z.object({ id: wireId, client_name: z.string(), email: z.string() }),
  client_id: wireId,
  client_name: z.string(),
  project: wireId.nullable(),
  deal_name: z.string(),
  deal_value: z.string(),
  currency: z.string(),
  deal_date: z.string(),
  due_date: z.string().nullable(),
  payment_status: z.string(),
  pay_status: z.string(),
  declared_payment_status: z.string(),
  payment_method: z.string(),
  source_type: z.string(),
  verification_status: z.string(),
  client_status: z.string(),
  deal_remarks: z.string(),
  version: z.number(),
  edit_status: z.string(),
  payment_count: z.number(),
  total_paid: z.string(),
  total_received: z.string(),
  remaining_balance: z.string(),
  payment_progress: z.number(),
  approved_by: wireId.nullable(),
  approved_at: z.string().nullable(),
  created_by: z.object({ id: wireId, full_name: z.string(), email: z.string() }),
  updated_by: z.object({ id: wireId, full_name: z.string() }).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  payments: z.array(PaymentOut),
  payments_read: z.array(PaymentOut),
  activity_logs: ActivityList,
});

/**
 * The web client's deal (`/api/deals/deals/…`): the fields it does arithmetic on are JSON numbers
 * (the salesperson's Add-payment modal calls `remaining_balance.toFixed(2)`; a payment's tooltip
 * shows `verified_amount || received_amount`, so a string `"0.00"` would win). The seeds' routes
 * (`/api/deals/…`) keep every amount a decimal string.
 */
const WebPaymentOut = PaymentOut.extend({ verified_amount: wireNumber.nullable() });
export const WebDealOut = DealOut.extend({
  remaining_balance: wireNumber,
  payments: z.array(WebPaymentOut),
  payments_read: z.array(WebPaymentOut),
});

export const LogActivityBody = z.object({ description: z.string().trim().min(1, 'This field may not be blank.').max(2000), action: z.string().trim().max(50).optional() });

const PaymentHistoryItem = z.object({
  id: wireId,
  payment_serial: z.number(),
  transaction_id: z.string(),
  deal_id: z.string(),
  client_name: z.string(),
  payment_date: z.string(),
  created_at: z.string(),
  payment_value: z.string(),
  received_amount: z.string(),
  verified_amount: z.string().nullable(),
  deal: z.object({ currency: z.string() }),
  payment_version: z.number(),
  version: z.number(),
  payment_type: z.string(),
  cheque_number: z.string().nullable(),
  verification_status: z.string(),
  status: z.string(),
  receipt_link: z.string().nullable(),
  verified_by: z.object({ id: wireId, full_name: z.string(), email: z.string() }).nullable(),
  verifier_remarks: z.string(),
  verifier_remark_status: z.string(),
  deal_remarks: z.string(),
  payment_remarks: z.string(),
  invoice_details: z.object({ id: wireId, invoice_id: z.string().nullable(), status: z.string().nullable() }).nullable(),
});

const expandFields = {
  client_info: z.object({ id: wireId, name: z.string(), email: z.string(), total_deals: z.number(), total_value: z.string() }),
  payment_history: z.array(PaymentHistoryItem),
  verifier_remark_status: z.string(),
  activity_summary: z.object({ total_activities: z.number(), recent_activities: ActivityList, last_activity: ActivityOut.nullable() }),
};
export const ExpandOut = DealOut.extend(expandFields);
/** The expanded deal on the web client's surface: the same deal as its other deal routes. */
export const WebExpandOut = WebDealOut.extend(expandFields);
