import { z } from 'zod';
import { withAliases } from '../../core/http/aliases.ts';
import { dateField, decimalInput, wireId } from '../../core/http/fields.ts';
import { uploadedFile } from '../../core/http/multipart.ts';
import { pageQueryFields } from '../../core/http/pagination.ts';

export const PAYMENT_METHODS = ['wallet', 'bank', 'cheque', 'cash'] as const;
export const dateOnly = dateField;
const positiveAmount = decimalInput.refine((v) => Number(v) > 0, 'Ensure this value is greater than 0.');
const chequeNumber = z.string().trim().min(6, 'Ensure this field has at least 6 characters.').max(20, 'Ensure this field has no more than 20 characters.');

/** A payment as part of a request: nested in a deal, or on its own. */
export const PaymentFields = {
  payment_date: dateOnly,
  received_amount: positiveAmount,
  payment_method: z.enum(PAYMENT_METHODS).optional(),
  payment_type: z.string().max(30).optional(),
  payment_category: z.enum(['advance', 'partial', 'final']).optional(),
  cheque_number: chequeNumber.optional(),
  bank_reference: z.string().trim().max(100).optional(),
  payment_remarks: z.string().trim().max(2000).optional(),
  receipt_file: uploadedFile.optional(),
};
export const NestedPaymentBody = z.object(PaymentFields);
export type NestedPaymentInput = z.infer<typeof NestedPaymentBody>;

/** POST /api/deals/payments/ and /api/payments/: the deal by code or id. */
export const PaymentCreateBody = z.object({ deal_id: z.union([z.string().trim().min(1).max(64), z.number()]).transform(String), ...PaymentFields });
export const DealPaymentCreateBody = z.object(PaymentFields);

/** Seed 000 names the amount and the receipt `payment_amount` and `payment_receipt`; its routes take both names. */
const SEED_NAMES = { payment_amount: 'received_amount', payment_receipt: 'receipt_file' } as const;
export const SeedPaymentCreateBody = withAliases(PaymentCreateBody.shape, SEED_NAMES);
export const SeedDealPaymentCreateBody = withAliases(PaymentFields, SEED_NAMES);

export const PaymentListQuery = z.object({
  ...pageQueryFields,
  deal_id: z.string().max(64).optional(),
  deal: z.string().max(64).optional(),
  status: z.enum(['pending', 'verified', 'rejected', 'refunded', 'bad_debt']).optional(),
});

const userRef = z.object({ id: wireId, full_name: z.string(), email: z.string() });
export const PaymentOut = z.object({
  id: wireId,
  transaction_id: z.string(),
  deal: wireId,
  deal_id: z.string(),
  payment_date: z.string(),
  received_amount: z.string(),
  currency: z.string(),
  payment_method: z.string(),
  payment_type: z.string(),
  payment_category: z.string(),
  cheque_number: z.string().nullable(),
  bank_reference: z.string(),
  payment_remarks: z.string(),
  receipt_file: z.string().nullable(),
  status: z.string(),
  info_requested: z.boolean(),
  verified_amount: z.string().nullable(),
  verified_by: userRef.nullable(),
  verified_at: z.string().nullable(),
  verification_remarks: z.string(),
  invoice: z.object({ id: wireId, invoice_id: z.string().nullable(), status: z.string().nullable() }).nullable(),
  version: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});
