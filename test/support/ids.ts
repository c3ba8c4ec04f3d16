// Ids in tests. On the wire an id is a JSON integer; inside PRS, and in rows read with SQL, it is
// the bigint's decimal string. Tests hold ids from both sources, so they compare through these.
import { expect } from 'vitest';

/** A well-formed id that names no record. */
export const UNKNOWN_ID = '900000000000';

/** Path ids that are not ids at all: each must answer like an unknown id, never a 500. */
export const MALFORMED_IDS = ['undefined', 'abc', 'not-a-uuid', '0', '-1', '1.5', '1e3', '99999999999999999999'];

/** What a response must carry for an id, however the test holds it. */
export const wire = (id: string | number) => Number(id);

/** What SQL gives back for an id, however the test holds it. */
export const dbId = (id: string | number) => String(id);

/** Asserts that a response id is a positive JSON integer (not a numeric string) and returns it as SQL gives it. */
export function wireId(value: unknown, label = 'id'): string {
  expect(Number.isSafeInteger(value) && (value as number) > 0, `${label} ${JSON.stringify(value)} is a positive JSON integer`).toBe(true);
  return String(value);
}
