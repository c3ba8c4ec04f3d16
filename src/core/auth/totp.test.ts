import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  currentStep,
  generateTotpSecret,
  totpCode,
  totpQrDataUrl,
  totpUri,
  verifyTotp,
} from './totp.ts';

// RFC 6238 appendix B uses the ASCII seed "12345678901234567890" for SHA1.
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890', 'ascii'));

// [unix seconds, 6-digit code] — the last 6 digits of the RFC's 8-digit values.
const RFC_VECTORS: Array<[number, string]> = [
  [59, '287082'], // 94287082
  [1111111109, '081804'], // 07081804
  [1111111111, '050471'], // 14050471
  [1234567890, '005924'], // 89005924
  [2000000000, '279037'], // 69279037
  [20000000000, '353130'], // 65353130
];

describe('base32', () => {
  it('matches the RFC 4648 test vectors (without padding)', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded);
      expect(base32Decode(encoded).toString()).toBe(plain);
    }
    expect(RFC_SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('tolerates lower case, spaces and padding but not other characters', () => {
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZXW1')).toThrow('invalid base32 secret');
  });
});

describe('generateTotpSecret', () => {
  it('is 20 random bytes as 32 base32 characters', () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(secret);
  });
});

describe('totpUri', () => {
  it('builds an otpauth URI with encoded label parts', () => {
    const uri = totpUri({ secret: 'JBSWY3DPEHPK3PXP', accountName: 'ana+1@example.com', issuer: 'PRS Acme & Co' });
    expect(uri).toBe(
      'otpauth://totp/PRS%20Acme%20%26%20Co:ana%2B1%40example.com' +
        '?secret=JBSWY3DPEHPK3PXP&issuer=PRS%20Acme%20%26%20Co&algorithm=SHA1&digits=6&period=30',
    );
  });
});

describe('currentStep', () => {
  it('counts 30-second steps since the epoch', () => {
    expect(currentStep(0)).toBe(0);
    expect(currentStep(29_999)).toBe(0);
    expect(currentStep(30_000)).toBe(1);
    expect(currentStep(59_000)).toBe(1);
    expect(currentStep(1_234_567_890_000)).toBe(41152263);
    expect(currentStep()).toBe(currentStep(Date.now()));
  });
});

describe('totpCode', () => {
  it('matches the RFC 6238 SHA1 test vectors', () => {
    for (const [seconds, code] of RFC_VECTORS) {
      expect(totpCode(RFC_SECRET, currentStep(seconds * 1000))).toBe(code);
    }
  });

  it('agrees with an independent HOTP computation', () => {
    const hmac = createHmac('sha1', '12345678901234567890').update(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1])).digest();
    const offset = (hmac[19] ?? 0) & 0xf;
    const expected = String((hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
    expect(totpCode(RFC_SECRET, 1)).toBe(expected);
  });

  it('refuses invalid steps', () => {
    expect(() => totpCode(RFC_SECRET, -1)).toThrow(RangeError);
    expect(() => totpCode(RFC_SECRET, 1.5)).toThrow(RangeError);
  });
});

describe('verifyTotp', () => {
  const nowMs = 1_234_567_890_000;
  const now = currentStep(nowMs);

  it('accepts the RFC vectors at their own time and returns the step', () => {
    for (const [seconds, code] of RFC_VECTORS) {
      const at = seconds * 1000;
      expect(verifyTotp(RFC_SECRET, code, { lastUsedStep: null, nowMs: at })).toBe(currentStep(at));
    }
  });

  it('accepts codes with spaces around or inside', () => {
    expect(verifyTotp(RFC_SECRET, ' 005 924 ', { lastUsedStep: null, nowMs })).toBe(now);
  });

  it('refuses a wrong code and anything that is not 6 digits', () => {
    for (const code of ['005925', '000000', '05924', '0059244', 'abcdef', '', '00592a', '１２３４５６']) {
      expect(verifyTotp(RFC_SECRET, code, { lastUsedStep: null, nowMs })).toBeNull();
    }
  });

  it('tolerates one step of drift by default and more only when asked', () => {
    const previous = totpCode(RFC_SECRET, now - 1);
    const next = totpCode(RFC_SECRET, now + 1);
    const twoAhead = totpCode(RFC_SECRET, now + 2);
    expect(verifyTotp(RFC_SECRET, previous, { lastUsedStep: null, nowMs })).toBe(now - 1);
    expect(verifyTotp(RFC_SECRET, next, { lastUsedStep: null, nowMs })).toBe(now + 1);
    expect(verifyTotp(RFC_SECRET, twoAhead, { lastUsedStep: null, nowMs })).toBeNull();
    expect(verifyTotp(RFC_SECRET, twoAhead, { lastUsedStep: null, nowMs, window: 2 })).toBe(now + 2);
    expect(verifyTotp(RFC_SECRET, next, { lastUsedStep: null, nowMs, window: 0 })).toBeNull();
  });

  it('refuses a replayed step and anything at or before the last used step', () => {
    const step = verifyTotp(RFC_SECRET, '005924', { lastUsedStep: null, nowMs });
    expect(step).toBe(now);
    expect(verifyTotp(RFC_SECRET, '005924', { lastUsedStep: step, nowMs })).toBeNull();
    expect(verifyTotp(RFC_SECRET, '005924', { lastUsedStep: now + 1, nowMs })).toBeNull();
    const previous = totpCode(RFC_SECRET, now - 1);
    expect(verifyTotp(RFC_SECRET, previous, { lastUsedStep: now - 1, nowMs })).toBeNull();
    // A later code is still accepted after an earlier one was used.
    const next = totpCode(RFC_SECRET, now + 1);
    expect(verifyTotp(RFC_SECRET, next, { lastUsedStep: now, nowMs })).toBe(now + 1);
  });

  it('works with a freshly generated secret at the current time', () => {
    const secret = generateTotpSecret();
    const code = totpCode(secret, currentStep());
    expect(verifyTotp(secret, code, { lastUsedStep: null })).not.toBeNull();
  });

  it('refuses an invalid window', () => {
    expect(() => verifyTotp(RFC_SECRET, '005924', { lastUsedStep: null, nowMs, window: -1 })).toThrow(RangeError);
  });
});

describe('totpQrDataUrl', () => {
  it('renders a PNG data URL', async () => {
    const url = await totpQrDataUrl(totpUri({ secret: RFC_SECRET, accountName: 'a@b.c', issuer: 'PRS' }));
    expect(url).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    const png = Buffer.from(url.slice('data:image/png;base64,'.length), 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });
});
