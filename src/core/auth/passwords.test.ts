import { parseOptions } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy } from './password-policy.ts';
import { DUMMY_HASH, HASHING_SLOTS, generatePassword, hashPassword, inHashingSlot, verifyAgainstDummy, verifyPassword } from './passwords.ts';

describe('hashPassword / verifyPassword', () => {
  it('hashes with argon2id, m=19456 KiB, t=2, p=1 and a random salt', async () => {
    const hashed = await hashPassword('Correct-Horse-9');
    expect(hashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const options = parseOptions(hashed);
    expect(options).toMatchObject({ algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(await hashPassword('Correct-Horse-9')).not.toBe(hashed);
  });

  it('verifies the right password only', async () => {
    const hashed = await hashPassword('Correct-Horse-9');
    expect(await verifyPassword(hashed, 'Correct-Horse-9')).toBe(true);
    expect(await verifyPassword(hashed, 'correct-horse-9')).toBe(false);
    expect(await verifyPassword(hashed, '')).toBe(false);
  });

  it('handles unicode passwords', async () => {
    const hashed = await hashPassword('Pässwörd-✓-2024');
    expect(await verifyPassword(hashed, 'Pässwörd-✓-2024')).toBe(true);
  });

  it('returns false instead of throwing for malformed hashes', async () => {
    for (const bad of ['', 'not-a-hash', '$argon2id$v=19$m=19456', 'pbkdf2_sha256$600000$salt$hash']) {
      await expect(verifyPassword(bad, 'whatever')).resolves.toBe(false);
    }
  });
});

describe('verifyAgainstDummy', () => {
  it('uses a valid argon2id hash with the production parameters and returns false', async () => {
    expect(parseOptions(DUMMY_HASH)).toMatchObject({ algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    await expect(verifyAgainstDummy('Correct-Horse-9')).resolves.toBe(false);
  });

  it('takes about as long as a real verification', async () => {
    const hashed = await hashPassword('Correct-Horse-9');
    const time = async (fn: () => Promise<unknown>) => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    await verifyPassword(hashed, 'warm-up');
    const real = await time(() => verifyPassword(hashed, 'Wrong-Horse-9'));
    const dummy = await time(() => verifyAgainstDummy('Wrong-Horse-9'));
    // Generous bound: it must do the argon2 work, not return immediately.
    expect(dummy).toBeGreaterThan(real / 5);
  });
});

describe('generatePassword', () => {
  it('is 16 characters from the allowed alphabet by default', () => {
    const password = generatePassword();
    expect(password).toHaveLength(16);
    expect(password).toMatch(/^[A-Za-z0-9!@#$%^&*()\-_=+]+$/);
  });

  it('always has every character class and passes the policy', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const length = 12 + (i % 20);
      const password = generatePassword(length);
      expect(password).toHaveLength(length);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[0-9]/);
      expect(password).toMatch(/[!@#$%^&*()\-_=+]/);
      expect(checkPasswordPolicy(password, {})).toEqual([]);
      seen.add(password);
    }
    expect(seen.size).toBe(300);
  });

  it('supports the maximum length and refuses lengths the policy would reject', () => {
    expect(generatePassword(128)).toHaveLength(128);
    expect(() => generatePassword(11)).toThrow(RangeError);
    expect(() => generatePassword(129)).toThrow(RangeError);
    expect(() => generatePassword(14.5)).toThrow(RangeError);
  });
});

describe('hashing slots', () => {
  it('never runs more argon2 computations at once than there are slots, and every caller gets its answer', async () => {
    let running = 0;
    let most = 0;
    const work = (i: number) =>
      inHashingSlot(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return i;
      });
    const answers = await Promise.all(Array.from({ length: HASHING_SLOTS * 3 + 1 }, (_, i) => work(i)));
    expect(answers).toEqual(Array.from({ length: HASHING_SLOTS * 3 + 1 }, (_, i) => i));
    expect(most).toBe(HASHING_SLOTS);
    // A failing computation frees its slot too.
    await expect(inHashingSlot(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await Promise.all([work(1), work(2)])).toEqual([1, 2]);
  });
});
