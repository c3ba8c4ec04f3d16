// One-time MFA recovery codes. Stored as peppered HMACs so they can be looked up by hash.
import { createHmac, randomInt } from 'node:crypto';

// 32 symbols (5 bits each) without the look-alikes l/1 and o/0, easy to read out and type.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
// 10 symbols x 5 bits = 50 bits, shown in groups of 4-4-2 (abcd-efgh-jk).
const CODE_LENGTH = 10;
const GROUPS = [4, 4, 2];

function randomCode(): string {
  let raw = '';
  for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  const parts: string[] = [];
  let offset = 0;
  for (const size of GROUPS) {
    parts.push(raw.slice(offset, offset + size));
    offset += size;
  }
  return parts.join('-');
}

/** `count` distinct codes formatted like `abcd-efgh-ij`. */
export function generateBackupCodes(count = 10): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new RangeError('backup code count must be an integer from 1 to 100');
  }
  const codes = new Set<string>();
  while (codes.size < count) codes.add(randomCode());
  return [...codes];
}

/** Canonical form for comparison: lower case, without spaces or dashes. */
export function normaliseBackupCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]+/g, '');
}

/**
 * HMAC-SHA256 hex of the normalised code. 50 bits of entropy plus a secret pepper
 * make a slow KDF unnecessary, and a deterministic hash allows lookup by value.
 */
export function hashBackupCode(code: string, pepper: string): string {
  // An empty key would make the "pepper" protection silently disappear.
  if (pepper.length === 0) throw new Error('backup code pepper must not be empty');
  return createHmac('sha256', pepper).update(normaliseBackupCode(code), 'utf8').digest('hex');
}
