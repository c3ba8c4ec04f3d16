// RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits), the profile every authenticator app supports.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import QRCode from 'qrcode';

const PERIOD_SECONDS = 30;
const DIGITS = 6;
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (the form authenticator apps expect). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1; // keep only unread bits so the int never overflows
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes base32, tolerating lower case, spaces and padding; throws on other characters. */
export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=]+/g, '');
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) throw new Error('invalid base32 secret');
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 255);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return Buffer.from(out);
}

/** A new secret: 20 random bytes (the HMAC-SHA1 block-friendly size RFC 4226 recommends). */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

export interface TotpUriInput {
  secret: string;
  accountName: string;
  issuer: string;
}

/** Key URI for authenticator apps; the issuer is repeated as a parameter as Google recommends. */
export function totpUri({ secret, accountName, issuer }: TotpUriInput): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const query = [
    `secret=${encodeURIComponent(secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    'algorithm=SHA1',
    `digits=${DIGITS}`,
    `period=${PERIOD_SECONDS}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}

/** The 30-second time step containing `nowMs`. */
export function currentStep(nowMs: number = Date.now()): number {
  return Math.floor(nowMs / 1000 / PERIOD_SECONDS);
}

function hotp(key: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  // Dynamic truncation (RFC 4226 section 5.3).
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** DIGITS).padStart(DIGITS, '0');
}

/** The 6-digit code for a base32 secret at a given time step. */
export function totpCode(secret: string, step: number): string {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError('invalid TOTP time step');
  return hotp(base32Decode(secret), step);
}

export interface VerifyTotpOptions {
  /** Step of the last accepted code; it and earlier steps are refused (replay protection). */
  lastUsedStep: number | null;
  nowMs?: number;
  /** Steps of clock drift tolerated either side of now; default 1. */
  window?: number;
}

/**
 * Returns the matched time step (to be stored as the new lastUsedStep), or null.
 * Throws only if the stored secret itself is not valid base32.
 */
export function verifyTotp(secret: string, code: string, options: VerifyTotpOptions): number | null {
  const { lastUsedStep, nowMs = Date.now(), window = 1 } = options;
  // Apps often display "123 456"; accept that but nothing else than 6 digits.
  const candidate = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(candidate)) return null;
  if (!Number.isInteger(window) || window < 0 || window > 10) {
    throw new RangeError('invalid TOTP window');
  }

  const key = base32Decode(secret);
  const given = Buffer.from(candidate, 'ascii');
  const now = currentStep(nowMs);
  let matched: number | null = null;
  // Check every step in the window without stopping early, so timing does not
  // reveal which step (if any) matched.
  for (let step = now - window; step <= now + window; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(hotp(key, step), 'ascii');
    const equal = timingSafeEqual(expected, given);
    if (equal && matched === null && (lastUsedStep === null || step > lastUsedStep)) {
      matched = step;
    }
  }
  return matched;
}

/** PNG QR code of a key URI as a `data:image/png;base64,...` URL. */
export function totpQrDataUrl(uri: string): Promise<string> {
  return QRCode.toDataURL(uri, { type: 'image/png', errorCorrectionLevel: 'M', margin: 2 });
}
