import { z } from 'zod';
import { emailField, wireId } from '../../core/http/fields.ts';
import { pageQueryFields } from '../../core/http/pagination.ts';

export const SATISFACTIONS = ['neutral', 'satisfied', 'unsatisfied'] as const;
export const CLIENT_STATUSES = ['clear', 'pending', 'bad_debt'] as const;
export const CLIENT_TYPES = ['individual', 'business'] as const;
export const CLIENT_ORDERINGS = ['client_name', '-client_name', 'created_at', '-created_at'] as const;

/** An enum with DRF's message: `"x" is not a valid choice.` */
const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (issue) => (issue.input === undefined ? 'This field is required.' : `"${String(issue.input)}" is not a valid choice.`) });

const text = (max: number) => z.string().trim().max(max, `Ensure this field has no more than ${max} characters.`);

/** '+977 981-234-5678' → '+9779812345678'; empty means "no number". */
export const phoneField = z
  .string()
  .transform((v) => v.replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^(\+?\d{7,15})?$/, 'Enter a valid phone number: 7 to 15 digits, optionally starting with +.'));

/** Nullable choice where the web client may also send '' for "none". */
const satisfactionField = z
  .union([choice(SATISFACTIONS), z.literal('')])
  .nullable()
  .transform((v) => (v === '' ? null : v));

const ClientFields = {
  client_name: text(255).min(1, 'This field may not be blank.'),
  email: emailField,
  phone_number: phoneField.optional(),
  nationality: text(100).optional(),
  address: text(500).optional(),
  remarks: text(2000).optional(),
  satisfaction: satisfactionField.optional(),
  status: choice(CLIENT_STATUSES).optional(),
  client_type: choice(CLIENT_TYPES).optional(),
  company_name: text(255).optional(),
  website: text(255).optional(),
  tax_id: text(64).optional(),
  contact_person: text(255).optional(),
  /** Ignored (always the caller's organisation) except for a Super Admin naming one. */
  organization: z.union([z.string().max(64), z.number()]).nullable().optional(),
};

/** POST and PUT: name and e-mail required, other fields absent = unchanged (as DRF does). */
export const ClientBody = z.object(ClientFields);
export const ClientPatchBody = z.object(ClientFields).partial();
export type ClientInput = z.infer<typeof ClientPatchBody>;

export const ClientListQuery = z.object({
  ...pageQueryFields,
  search: z.string().max(200).optional(),
  status: choice(CLIENT_STATUSES).optional(),
  satisfaction: choice(SATISFACTIONS).optional(),
  client_type: choice(CLIENT_TYPES).optional(),
  created_by: z.string().max(64).optional(),
  ordering: z.string().max(50).optional(),
  organization: z.string().max(64).optional(),
});
export type ClientListFilters = z.infer<typeof ClientListQuery>;

export const ActivityListQuery = z.object({ ...pageQueryFields });

export const ActivityOut = z.object({
  id: wireId,
  action: z.string(),
  description: z.string(),
  message: z.string(),
  timestamp: z.string(),
  created_at: z.string(),
  user: z.string().nullable(),
  user_id: wireId.nullable(),
});

export const ClientOut = z.object({
  id: wireId,
  client_name: z.string(),
  name: z.string(),
  email: z.string(),
  phone_number: z.string(),
  nationality: z.string(),
  address: z.string(),
  remarks: z.string(),
  satisfaction: z.string().nullable(),
  status: z.string(),
  client_type: z.string(),
  company_name: z.string(),
  website: z.string(),
  tax_id: z.string(),
  contact_person: z.string(),
  primary_contact: z.string(),
  organization: wireId,
  created_at: z.string(),
  updated_at: z.string(),
  created_by: z.object({ id: wireId, full_name: z.string(), email: z.string() }),
  created_by_name: z.string(),
  updated_by: wireId.nullable(),
  payment_status: z.string().nullable(),
  total_deals: z.number().int(),
  total_value: z.string().nullable(),
  deal_value: z.string().nullable(),
  currency: z.string().nullable(),
  totals_by_currency: z.array(z.object({ currency: z.string(), total_value: z.string(), total_deals: z.number().int() })),
  due_date: z.string().nullable(),
});

export const ClientDetailOut = ClientOut.extend({ activities: z.array(ActivityOut) });
