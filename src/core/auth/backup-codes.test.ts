import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateBackupCodes, hashBackupCode, normaliseBackupCode } from './backup-codes.ts';

describe('generateBackupCodes', () => {
  it('generates 10 distinct codes in groups of 4-4-2 by default', () => {
    const codes = generateBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(/^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{2}$/);
    }
  });

  it('honours the count and avoids ambiguous characters', () => {
    const codes = generateBackupCodes(100);
    expect(codes).toHaveLength(100);
    expect(codes.join('')).not.toMatch(/[lo01]/);
  });

  it('refuses a silly count', () => {
    expect(() => generateBackupCodes(0)).toThrow(RangeError);
    expect(() => generateBackupCodes(1.5)).toThrow(RangeError);
  });
});

describe('normaliseBackupCode', () => {
  it('lower-cases and strips spaces and dashes', () => {
    expect(normaliseBackupCode(' ABCD-efgh - IJ ')).toBe('abcdefghij');
    expect(normaliseBackupCode('abcd efgh\tij')).toBe('abcdefghij');
  });
});

describe('hashBackupCode', () => {
  it('is an HMAC-SHA256 of the normalised code keyed by the pepper', () => {
    const expected = createHmac('sha256', 'pepper').update('abcdefghij').digest('hex');
    expect(hashBackupCode('abcd-efgh-ij', 'pepper')).toBe(expected);
    expect(hashBackupCode('ABCD EFGH IJ', 'pepper')).toBe(expected);
    expect(hashBackupCode('abcd-efgh-ij', 'other')).not.toBe(expected);
    expect(hashBackupCode('abcd-efgh-ik', 'pepper')).not.toBe(expected);
  });

  it('refuses an empty pepper', () => {
    expect(() => hashBackupCode('abcd-efgh-ij', '')).toThrow();
  });
});
