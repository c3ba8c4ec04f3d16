// Field schemas shared by many routes, so that every route validates the same way.
import { z } from 'zod';

export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('Enter a valid email address.').max(254, 'Ensure this field has no more than 254 characters.'));

/**
 * Ids are `bigint` identity keys. Inside PRS they travel as canonical decimal strings (what
 * node-postgres returns for bigint, and exact at any size); on the wire they are JSON integers.
 */
export const isId = (value: string) => /^[1-9][0-9]{0,17}$/.test(value);

/** An id in a body or query: a JSON integer or its decimal string, normalised to the string. */
export const idField = z
  .union([z.number(), z.string().trim()], { error: 'Must be a valid id.' })
  .transform((v) => String(v))
  .pipe(z.string().refine(isId, 'Must be a valid id.'));

/**
 * An id in a response: written as a JSON integer by the serialiser, whether the value at hand is
 * the database's decimal string or a number parsed from SQL-built JSON.
 */
export const wireId = z.custom<string | number>((v) => (typeof v === 'string' && isId(v)) || Number.isSafeInteger(v)).meta({ type: 'integer' });

/**
 * An amount in a response that the web client does arithmetic on (adds, `.toFixed()`s): written
 * as a JSON number by the serialiser from the exact decimal string at hand (`"3000.00"` → `3000`,
 * the same JSON number). PRS itself never computes with floats; the one conversion happens while
 * writing, and a decimal of at most 15 significant digits comes out digit for digit.
 */
export const wireNumber = z
  .custom<string | number>((v) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) || (typeof v === 'number' && Number.isFinite(v)))
  .meta({ type: 'number' });

/**
 * A reference to a record in a body, as clients send it: a JSON integer or a string (the web
 * client's selects give strings). Normalised to a string; whether it names a record of the
 * organisation is the service's question (an unknown or malformed one is a field error there).
 */
export const idRef = z.union([z.string().trim().max(64), z.number()], { error: 'Must be a valid id.' }).transform((v) => String(v));

/** A record named by its id or by a name or code (roles, permissions): a JSON integer or text, as a string. */
export const idOrName = z.union([z.string().trim().max(100), z.number()]).transform((v) => String(v));

/** Path parameter `{id}`: a malformed id is simply not found. */
export const idParams = z.object({ id: z.string().max(64) });

const AMOUNT = 'Enter a non-negative amount with at most 2 decimal places.';

/**
 * Money and other exact decimals arrive as strings or numbers and leave as strings. Any value
 * of another type gets the amount's message (missing and null keep theirs).
 */
export const decimalInput = z
  .union([z.string().trim(), z.number()], { error: (issue) => (issue.input === undefined || issue.input === null ? undefined : AMOUNT) })
  .transform((v) => String(v))
  .pipe(z.string().regex(/^\d{1,14}(\.\d{1,2})?$/, AMOUNT));

/** True for a YYYY-MM-DD that exists on the calendar (not 2026-02-31). */
export const isCalendarDate = (value: string) => {
  const d = new Date(`${value}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
};

/**
 * The range of business dates PRS accepts. Periods and windows are computed from them (a week
 * after the last day, a year before the first), which stays far inside what JavaScript dates
 * and PostgreSQL write and read back; year 9999 overflowed into a 500.
 */
export const FIRST_BUSINESS_DATE = '1900-01-01';
export const LAST_BUSINESS_DATE = '2200-12-31';
const OUT_OF_RANGE = `Enter a date between ${FIRST_BUSINESS_DATE} and ${LAST_BUSINESS_DATE}.`;

/** ISO dates compare as strings. */
const inBusinessRange = (value: string) => value >= FIRST_BUSINESS_DATE && value <= LAST_BUSINESS_DATE;

/** A calendar date inside the business range. */
export const isBusinessDate = (value: string) => isCalendarDate(value) && inBusinessRange(value);

/** An instant (e.g. a client's "last seen") inside the business range. */
export const isBusinessInstant = (d: Date) => !Number.isNaN(d.getTime()) && isBusinessDate(d.toISOString().slice(0, 10));

/** A business date (`deal_date`, `payment_date`, filters): YYYY-MM-DD, on the calendar, in the business range. */
export const dateField = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Date has wrong format. Use YYYY-MM-DD.')
  .refine(isCalendarDate, 'Enter a real calendar date.')
  .refine(inBusinessRange, OUT_OF_RANGE);

export const nonEmpty = (max = 255) => z.string().trim().min(1, 'This field may not be blank.').max(max, `Ensure this field has no more than ${max} characters.`);
export const optionalText = (max = 2000) => z.string().trim().max(max, `Ensure this field has no more than ${max} characters.`).optional();

/** Booleans in query strings: true/false/1/0. */
export const queryBool = z.enum(['true', 'false', '1', '0', 'True', 'False']).transform((v) => v === 'true' || v === '1' || v === 'True');

export const messageOut = z.object({ message: z.string(), detail: z.string().optional() });
