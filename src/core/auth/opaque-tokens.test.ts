import { describe, expect, it } from 'vitest';
import { hashToken, newOpaqueToken, newSessionToken, safeEqual } from './opaque-tokens.ts';

describe('newSessionToken', () => {
  it('is 40 lowercase hex characters and unique', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => newSessionToken()));
    expect(tokens.size).toBe(100);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('newOpaqueToken', () => {
  it('is base64url of the requested number of bytes', () => {
    const t = newOpaqueToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    expect(Buffer.from(newOpaqueToken(48), 'base64url')).toHaveLength(48);
    expect(newOpaqueToken()).not.toBe(t);
  });

  it('refuses too few bytes', () => {
    expect(() => newOpaqueToken(8)).toThrow(RangeError);
    expect(() => newOpaqueToken(16.5)).toThrow(RangeError);
  });
});

describe('hashToken', () => {
  it('is the SHA-256 hex digest', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('abc')).toBe(hashToken('abc'));
    expect(hashToken('abd')).not.toBe(hashToken('abc'));
  });
});

describe('safeEqual', () => {
  it('compares strings', () => {
    expect(safeEqual('secret', 'secret')).toBe(true);
    expect(safeEqual('secret', 'secreT')).toBe(false);
    expect(safeEqual('secret', 'secret1')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('é', 'e\u0301')).toBe(false);
  });
});
