// Password hashing (argon2id) and random password generation.
import { randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash as argon2Hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, checkPasswordPolicy } from './password-policy.ts';

// `Algorithm` is an ambient const enum: it cannot be read under isolatedModules and the
// runtime object is empty, so use its documented value (Argon2id = 2) directly.
const ARGON2ID = 2 as Algorithm;

// OWASP's first recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
export const ARGON2_OPTIONS: Options = {
  algorithm: ARGON2ID,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};

/**
 * Fixed argon2id hash (same parameters as above) of a random string nobody knows.
 * Verifying against it makes a login for an unknown e-mail cost as much as a real one,
 * so response time does not reveal whether an account exists.
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$U0uMLEyaaQXGeC+ZUTXaAQ$d9Vwe5oXvDZ1L7KUtYMWGF0YKm/RYHZTthcXN0L6nUI';

/**
 * At most one argon2 computation per core at a time (19 MiB each, on libuv's thread pool): more
 * adds no throughput, but a burst of logins would fill the pool that file and DNS work share
 * and swell the process's memory (the benchmark saw RSS jump by ~100 MB during logins).
 */
export const HASHING_SLOTS = Math.max(1, Math.min(4, availableParallelism()));
let hashing = 0;
const waitingForSlot: (() => void)[] = [];

export async function inHashingSlot<T>(work: () => Promise<T>): Promise<T> {
  if (hashing < HASHING_SLOTS) hashing++;
  else await new Promise<void>((resolve) => waitingForSlot.push(resolve)); // the slot is handed over
  try {
    return await work();
  } finally {
    const next = waitingForSlot.shift();
    if (next) next();
    else hashing--;
  }
}

/** PHC-format argon2id hash with a fresh random salt. */
export function hashPassword(plain: string): Promise<string> {
  return inHashingSlot(() => argon2Hash(plain, ARGON2_OPTIONS));
}

/** True when `plain` matches `hash`; false (never an exception) for a malformed hash. */
export async function verifyPassword(hash: string, plain: string): Promise<boolean> {
  try {
    return await inHashingSlot(() => verify(hash, plain));
  } catch {
    return false;
  }
}

/** Burns the same time as a real verification; always false. */
export async function verifyAgainstDummy(plain: string): Promise<false> {
  await verifyPassword(DUMMY_HASH, plain);
  return false;
}

const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const SPECIALS = '!@#$%^&*()-_=+';
const ALL = UPPERCASE + LOWERCASE + DIGITS + SPECIALS;

function pick(alphabet: string): string {
  return alphabet[randomInt(alphabet.length)] ?? '';
}

// Fisher-Yates with a CSPRNG, so the guaranteed characters are not at fixed positions.
function shuffle(chars: string[]): string[] {
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars;
}

/**
 * Cryptographically random password with at least one character of each class that
 * satisfies checkPasswordPolicy (retries on the rare rejection, e.g. a run of 4).
 */
export function generatePassword(length = 16): string {
  if (!Number.isInteger(length) || length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new RangeError(
      `password length must be an integer from ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}`,
    );
  }
  for (;;) {
    const chars = [pick(UPPERCASE), pick(LOWERCASE), pick(DIGITS), pick(SPECIALS)];
    while (chars.length < length) chars.push(pick(ALL));
    const password = shuffle(chars).join('');
    if (checkPasswordPolicy(password, {}).length === 0) return password;
  }
}
