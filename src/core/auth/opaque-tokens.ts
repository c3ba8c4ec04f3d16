// Random tokens for sessions, links and API keys. Only their hashes are stored.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 40 lowercase hex characters (20 random bytes): the web client expects a DRF-style key. */
export function newSessionToken(): string {
  return randomBytes(20).toString('hex');
}

/** URL-safe random token (base64url, no padding); 32 bytes = 256 bits by default. */
export function newOpaqueToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16) {
    // Fewer than 128 bits would make the fast hash below guessable offline.
    throw new RangeError('token must have at least 16 random bytes');
  }
  return randomBytes(bytes).toString('base64url');
}

/**
 * SHA-256 hex of a token. The tokens are high-entropy random values, so a fast
 * unsalted hash is enough and allows lookup by hash; a slow KDF would add nothing.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time string comparison; different lengths are simply unequal. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}
