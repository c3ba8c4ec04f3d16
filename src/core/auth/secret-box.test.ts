import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.ts';

const box = createSecretBox('test-application-secret');

function flipFirstChar(part: string): string {
  const replacement = part[0] === 'A' ? 'B' : 'A';
  return replacement + part.slice(1);
}

describe('createSecretBox', () => {
  it('round-trips text, including unicode and the empty string', () => {
    for (const plain of ['JBSWY3DPEHPK3PXP', 'héllo wörld ✓', '']) {
      expect(box.open(box.seal(plain))).toBe(plain);
    }
  });

  it('produces v1.<iv>.<tag>.<ciphertext> in base64url with a fresh IV each time', () => {
    const a = box.seal('secret');
    const b = box.seal('secret');
    expect(a).not.toBe(b);
    const [version, iv, tag, ciphertext] = a.split('.');
    expect(version).toBe('v1');
    for (const part of [iv, tag, ciphertext]) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag ?? '', 'base64url')).toHaveLength(16);
    expect(Buffer.from(ciphertext ?? '', 'base64url')).toHaveLength(6);
  });

  it('refuses a wrong key', () => {
    const sealed = box.seal('secret');
    expect(() => createSecretBox('another-secret').open(sealed)).toThrow('cannot decrypt secret');
  });

  it('refuses tampering with any part', () => {
    const parts = box.seal('a secret value').split('.');
    for (const index of [1, 2, 3]) {
      const tampered = [...parts];
      tampered[index] = flipFirstChar(tampered[index] ?? '');
      expect(() => box.open(tampered.join('.'))).toThrow('cannot decrypt secret');
    }
    expect(() => box.open(['v2', ...parts.slice(1)].join('.'))).toThrow('cannot decrypt secret');
  });

  it('refuses malformed input', () => {
    for (const bad of ['', 'v1', 'v1.a.b', 'v1.a.b.c.d', 'not a sealed value', 'v1.!!.??.**']) {
      expect(() => box.open(bad)).toThrow('cannot decrypt secret');
    }
  });

  it('refuses an empty key', () => {
    expect(() => createSecretBox('')).toThrow();
  });
});
