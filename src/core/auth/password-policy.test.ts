import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORDS } from './common-passwords.ts';
import { checkPasswordPolicy, isCommonPassword, passwordStrength } from './password-policy.ts';

const ctx = { email: 'mary.jane+prs@example.com', firstName: 'Mary', lastName: 'Watson' };
const GOOD = 'Tr0ub4dor&3-Zebra';

describe('common password list', () => {
  it('holds about 200 lower-case entries including the usual suspects', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(200);
    for (const word of COMMON_PASSWORDS) expect(word).toBe(word.toLowerCase());
    for (const word of ['password', '123456', 'qwerty', 'letmein', 'iloveyou', 'admin', 'password123!']) {
      expect(COMMON_PASSWORDS.has(word)).toBe(true);
    }
  });
});

describe('checkPasswordPolicy', () => {
  it('accepts a good password', () => {
    expect(checkPasswordPolicy(GOOD, ctx)).toEqual([]);
    expect(checkPasswordPolicy(GOOD, {})).toEqual([]);
  });

  it('returns full sentences ending with a period', () => {
    const errors = checkPasswordPolicy('mary', ctx);
    expect(errors.length).toBeGreaterThan(3);
    for (const message of errors) expect(message).toMatch(/^[A-Z].*\.$/);
  });

  it('enforces the length bounds (in characters, not UTF-16 units)', () => {
    expect(checkPasswordPolicy('Abcdefgh1!x', {})).toEqual([
      'This password is too short. It must contain at least 12 characters.',
    ]);
    expect(checkPasswordPolicy('Abcdefgh1!xy', {})).toEqual([]);
    const long = 'Ab1!'.repeat(32); // 128 characters
    expect(checkPasswordPolicy(long, {})).toEqual([]);
    expect(checkPasswordPolicy(`${long}x`, {})).toEqual([
      'This password is too long. It must contain at most 128 characters.',
    ]);
    // 11 emoji are 22 UTF-16 units but only 11 characters.
    expect(checkPasswordPolicy(`Ab1${'😀'.repeat(8)}`, {})).toContain(
      'This password is too short. It must contain at least 12 characters.',
    );
  });

  it('requires each character class', () => {
    expect(checkPasswordPolicy('tr0ub4dor&3-zebra', {})).toEqual(['This password must contain at least one uppercase letter.']);
    expect(checkPasswordPolicy('TR0UB4DOR&3-ZEBRA', {})).toEqual(['This password must contain at least one lowercase letter.']);
    expect(checkPasswordPolicy('Troubador&-Zebra', {})).toEqual(['This password must contain at least one digit.']);
    expect(checkPasswordPolicy('Tr0ub4dor3Zebra', {})).toEqual(['This password must contain at least one special character.']);
  });

  it('refuses common passwords, also with trailing digits and symbols', () => {
    const common = 'This password is too common.';
    expect(checkPasswordPolicy('Password123!', {})).toEqual([common]);
    expect(checkPasswordPolicy('Welcome2025!!', {})).toEqual([common]);
    expect(checkPasswordPolicy('Football#1234', {})).toEqual([common]);
    expect(isCommonPassword('QWERTY')).toBe(true);
    expect(isCommonPassword('Dragon-2024')).toBe(true);
    expect(isCommonPassword('123456')).toBe(true);
    expect(isCommonPassword(GOOD)).toBe(false);
    // Only trailing decorations are stripped.
    expect(isCommonPassword('1dragon')).toBe(false);
  });

  it('refuses passwords similar to the e-mail, first name or last name', () => {
    expect(checkPasswordPolicy('Mary.Jane+prs!9', ctx)).toContain('The password is too similar to the email address.');
    expect(checkPasswordPolicy('Zebra#9-JANE-x', ctx)).toEqual(['The password is too similar to the email address.']);
    expect(checkPasswordPolicy('Zebra#9-mary-x', ctx)).toEqual([
      'The password is too similar to the email address.',
      'The password is too similar to the first name.',
    ]);
    expect(checkPasswordPolicy('Zebra#9-WatSon', ctx)).toEqual(['The password is too similar to the last name.']);
    // An attribute containing the whole password.
    expect(checkPasswordPolicy('Abcdefgh1!xy', { lastName: 'Xabcdefgh1!xyz' })).toEqual([
      'The password is too similar to the last name.',
    ]);
  });

  it('ignores attributes shorter than 3 characters', () => {
    expect(checkPasswordPolicy('Zebra#9-Al-Tr0ub', { firstName: 'Al', email: 'al@example.com' })).toEqual([]);
  });

  it('refuses runs of 4 or more identical characters', () => {
    const run = 'This password must not contain 4 or more identical characters in a row.';
    expect(checkPasswordPolicy('Zebra#9-aaaa-Tr0', {})).toEqual([run]);
    expect(checkPasswordPolicy('Zebra#9-1111-Tr0', {})).toEqual([run]);
    expect(checkPasswordPolicy('Zebra#9-aaa-Tr0u', {})).toEqual([]);
  });

  it('reports every broken rule at once', () => {
    expect(checkPasswordPolicy('', {})).toEqual([
      'This password is too short. It must contain at least 12 characters.',
      'This password must contain at least one uppercase letter.',
      'This password must contain at least one lowercase letter.',
      'This password must contain at least one digit.',
      'This password must contain at least one special character.',
    ]);
  });
});

describe('passwordStrength', () => {
  it('stays within 0-100 and rewards length and variety', () => {
    expect(passwordStrength('')).toBe(0);
    expect(passwordStrength('a')).toBeGreaterThan(0);
    expect(passwordStrength('abcdefghijklmnop')).toBeLessThan(passwordStrength('Abcdefgh1!klmnop'));
    expect(passwordStrength('Ab1!Ab1!')).toBeLessThan(passwordStrength('Ab1!Cd2@Ef3#Gh4$'));
    expect(passwordStrength('Kx7!mQ2#vL9$pR4&zT6*')).toBe(100); // 20 characters, all classes
  });

  it('penalises common passwords and runs', () => {
    expect(passwordStrength('Password123!')).toBeLessThanOrEqual(10);
    expect(passwordStrength('Zebra#9-aaaa-Tr0')).toBeLessThan(passwordStrength('Zebra#9-abcd-Tr0'));
  });
});
