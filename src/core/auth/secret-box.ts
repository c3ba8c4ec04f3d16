// Authenticated encryption for small secrets at rest (e.g. TOTP seeds) with AES-256-GCM.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const INFO = 'prs:secret-box:v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  /** Encrypts to `v1.<iv>.<tag>.<ciphertext>` (each part base64url). */
  seal(plain: string): string;
  /** Decrypts; throws Error('cannot decrypt secret') on tampering, a wrong key or bad input. */
  open(sealed: string): string;
}

// Strict base64url: Buffer.from() silently ignores junk, which would accept altered text.
function decodePart(part: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) throw new Error('bad encoding');
  return bytes;
}

export function createSecretBox(secretKey: string): SecretBox {
  if (secretKey.length === 0) throw new Error('secret-box key must not be empty');
  // HKDF gives a uniform 256-bit key dedicated to this purpose, so the same
  // application secret can be used elsewhere without key reuse across algorithms.
  const key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), INFO, 32));
  // The version prefix is authenticated too, so it cannot be swapped.
  const aad = Buffer.from(VERSION, 'utf8');

  return {
    seal(plain: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad);
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv, tag, ciphertext]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },

    open(sealed: string): string {
      try {
        const parts = sealed.split('.');
        if (parts.length !== 4 || parts[0] !== VERSION) throw new Error('bad format');
        const iv = decodePart(parts[1] ?? '');
        const tag = decodePart(parts[2] ?? '');
        const ciphertext = decodePart(parts[3] ?? '');
        if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('bad format');
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad);
        decipher.setAuthTag(tag);
        const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
        return plain.toString('utf8');
      } catch {
        // One message for every failure: callers must not learn why it failed.
        throw new Error('cannot decrypt secret');
      }
    },
  };
}
