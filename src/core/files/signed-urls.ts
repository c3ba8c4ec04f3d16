// Private files (receipts, invoices) are linked with short-lived signed URLs. The link is only
// produced for someone allowed to see the record, and it works in a browser tab, which sends no
// Authorization header.
import { createHmac, hkdfSync } from 'node:crypto';
import { safeEqual } from '../auth/opaque-tokens.ts';

export class UrlSigner {
  private readonly key: Buffer;
  constructor(secretKey: string, private readonly ttlSeconds = 3600) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, 'prs', 'prs:signed-media:v1', 32));
  }

  private signature(key: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${key}\n${expires}`).digest('base64url');
  }

  /** Path (and query) of a signed link to a stored file. */
  sign(storageKey: string, nowMs = Date.now()): string {
    const expires = Math.floor(nowMs / 1000) + this.ttlSeconds;
    return `/media/private/${storageKey}?expires=${expires}&signature=${this.signature(storageKey, expires)}`;
  }

  verify(storageKey: string, expires: number, signature: string, nowMs = Date.now()): boolean {
    if (!Number.isInteger(expires) || expires < Math.floor(nowMs / 1000)) return false;
    return safeEqual(this.signature(storageKey, expires), signature);
  }
}
