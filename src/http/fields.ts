// Field schemas shared by many routes, so that every route validates the same way.
import { z } from 'zod';

export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('Enter a valid email address.').max(254, 'Ensure this field has no more than 254 characters.'));

export const uuidField = z.uuid('Must be a valid id.');

/** Path parameter `{id}` for resources keyed by UUID: a malformed id is simply not found. */
export const idParams = z.object({ id: z.string().max(64) });

/** Money and other exact decimals arrive as strings or numbers and leave as strings. */
export const decimalInput = z
  .union([z.string().trim(), z.number()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^\d{1,14}(\.\d{1,2})?$/, 'Enter a non-negative amount with at most 2 decimal places.'));

export const nonEmpty = (max = 255) => z.string().trim().min(1, 'This field may not be blank.').max(max, `Ensure this field has no more than ${max} characters.`);
export const optionalText = (max = 2000) => z.string().trim().max(max, `Ensure this field has no more than ${max} characters.`).optional();

/** Booleans in query strings: true/false/1/0. */
export const queryBool = z.enum(['true', 'false', '1', '0', 'True', 'False']).transform((v) => v === 'true' || v === '1' || v === 'True');

export const messageOut = z.object({ message: z.string(), detail: z.string().optional() });

export const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
