// Password rules, reported as DRF-style messages so the web client can show them as-is.
// History and expiry are enforced elsewhere (they need the database).
import { COMMON_PASSWORDS } from './common-passwords.ts';

export const MIN_PASSWORD_LENGTH = 12;
// Bounds the work done by argon2 and these checks on hostile input.
export const MAX_PASSWORD_LENGTH = 128;
const MIN_ATTRIBUTE_LENGTH = 3;

export interface PasswordPolicyContext {
  email?: string;
  firstName?: string;
  lastName?: string;
}

// Unicode-aware so that e.g. "É" counts as an upper-case letter.
const UPPER = /\p{Lu}/u;
const LOWER = /\p{Ll}/u;
const DIGIT = /\p{Nd}/u;
const SPECIAL = /[^\p{L}\p{N}]/u;
const RUN_OF_FOUR = /(.)\1{3,}/u;
const TRAILING_DIGITS_SPECIALS = /[^\p{L}]+$/u;

/** True for well-known passwords, also when decorated with trailing digits/symbols ("Summer2024!"). */
export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return true;
  const stripped = lower.replace(TRAILING_DIGITS_SPECIALS, '');
  return stripped.length > 0 && COMMON_PASSWORDS.has(stripped);
}

// The whole value plus its word parts ("mary.jane.smith" also gives "mary", "jane",
// "smith"), as DRF's UserAttributeSimilarityValidator does.
function attributeParts(value: string | undefined): string[] {
  if (!value) return [];
  const lower = value.trim().toLowerCase();
  const parts = [lower, ...lower.split(/[^\p{L}\p{N}]+/u)];
  return [...new Set(parts)].filter((part) => [...part].length >= MIN_ATTRIBUTE_LENGTH);
}

function emailLocalPart(email: string | undefined): string | undefined {
  if (!email) return undefined;
  const at = email.lastIndexOf('@');
  return at >= 0 ? email.slice(0, at) : email;
}

function isSimilar(lowerPassword: string, attribute: string | undefined): boolean {
  return attributeParts(attribute).some(
    (part) => lowerPassword.includes(part) || part.includes(lowerPassword),
  );
}

/** Every rule the password breaks, as full sentences; an empty array means it is acceptable. */
export function checkPasswordPolicy(password: string, ctx: PasswordPolicyContext): string[] {
  const errors: string[] = [];
  // Count code points, not UTF-16 units, like Python's len() in DRF.
  const length = [...password].length;

  if (length < MIN_PASSWORD_LENGTH) {
    errors.push(`This password is too short. It must contain at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    errors.push(`This password is too long. It must contain at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
  if (!UPPER.test(password)) errors.push('This password must contain at least one uppercase letter.');
  if (!LOWER.test(password)) errors.push('This password must contain at least one lowercase letter.');
  if (!DIGIT.test(password)) errors.push('This password must contain at least one digit.');
  if (!SPECIAL.test(password)) errors.push('This password must contain at least one special character.');
  if (isCommonPassword(password)) errors.push('This password is too common.');

  const lower = password.toLowerCase();
  if (lower.length > 0) {
    const attributes: Array<[string, string | undefined]> = [
      ['email address', emailLocalPart(ctx.email)],
      ['first name', ctx.firstName],
      ['last name', ctx.lastName],
    ];
    for (const [label, value] of attributes) {
      if (isSimilar(lower, value)) errors.push(`The password is too similar to the ${label}.`);
    }
  }

  if (RUN_OF_FOUR.test(password)) {
    errors.push('This password must not contain 4 or more identical characters in a row.');
  }
  return errors;
}

/**
 * Rough 0-100 strength score for a strength meter; it is not a policy check.
 *  - length: 2.5 points per character up to 20 characters (max 50);
 *  - variety: 10 points per character class present (upper, lower, digit, special; max 40);
 *  - distinct characters: 1 point each up to 10 (max 10);
 *  - a run of 4+ identical characters costs 20 points;
 *  - a common password is capped at 10.
 */
export function passwordStrength(password: string): number {
  const chars = [...password];
  if (chars.length === 0) return 0;
  let score = Math.min(chars.length, 20) * 2.5;
  for (const pattern of [UPPER, LOWER, DIGIT, SPECIAL]) {
    if (pattern.test(password)) score += 10;
  }
  score += Math.min(new Set(chars).size, 10);
  if (RUN_OF_FOUR.test(password)) score -= 20;
  if (isCommonPassword(password)) score = Math.min(score, 10);
  return Math.max(0, Math.min(100, Math.round(score)));
}
