// Second factor for the signed-in user: TOTP enrolment, confirmation (which issues backup
// codes, shown once), regeneration of backup codes and disabling — both behind the password.
import { rows, sql, type Tx } from '../db/database.ts';
import type { RequestMeta } from '../http/context.ts';
import { badRequest, fieldError } from '../http/errors.ts';
import { generateBackupCodes, hashBackupCode } from './backup-codes.ts';
import type { AuthKit } from './kit.ts';
import { verifyPassword } from './passwords.ts';
import { recordSecurityEvent } from './security-events.ts';
import { currentStep, generateTotpSecret, totpQrDataUrl, totpUri, verifyTotp } from './totp.ts';

interface MfaUser {
  id: string;
  email: string;
  password_hash: string | null;
  totp_enabled: boolean;
  totp_secret: string | null;
  totp_last_step: string | null;
}

async function load(tx: Tx, userId: string): Promise<MfaUser> {
  const [u] = await rows<MfaUser>(
    tx,
    sql`SELECT id, email, password_hash, totp_enabled, totp_secret, totp_last_step::text AS totp_last_step FROM users WHERE id = ${userId}`,
  );
  return u!;
}

export async function mfaStatus(tx: Tx, userId: string) {
  const u = await load(tx, userId);
  const [left] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM backup_codes WHERE user_id = ${userId} AND used_at IS NULL`);
  return { totp_enabled: u.totp_enabled, backup_codes_remaining: left?.n ?? 0 };
}

export async function beginTotpEnrolment(kit: AuthKit, tx: Tx, userId: string) {
  const u = await load(tx, userId);
  if (u.totp_enabled) throw badRequest('Two-factor authentication is already enabled; disable it first.');
  const secret = generateTotpSecret();
  await tx.execute(sql`UPDATE users SET totp_secret = ${kit.secretBox.seal(secret)}, totp_last_step = NULL WHERE id = ${userId}`);
  const uri = totpUri({ secret, accountName: u.email, issuer: 'PRS' });
  return { secret, otpauth_uri: uri, qr_code: await totpQrDataUrl(uri) };
}

async function replaceBackupCodes(kit: AuthKit, tx: Tx, userId: string): Promise<string[]> {
  const codes = generateBackupCodes(10);
  await tx.execute(sql`DELETE FROM backup_codes WHERE user_id = ${userId}`);
  for (const code of codes) {
    await tx.execute(sql`INSERT INTO backup_codes (user_id, code_hash) VALUES (${userId}, ${hashBackupCode(code, kit.pepper)})`);
  }
  return codes;
}

export async function confirmTotpEnrolment(kit: AuthKit, tx: Tx, meta: RequestMeta, userId: string, otp: string) {
  const u = await load(tx, userId);
  if (u.totp_enabled) throw badRequest('Two-factor authentication is already enabled.');
  if (!u.totp_secret) throw badRequest('Start the enrolment first.');
  const step = verifyTotp(kit.secretBox.open(u.totp_secret), otp, { lastUsedStep: null });
  if (step === null) throw fieldError('otp', 'Invalid code.');
  await tx.execute(sql`UPDATE users SET totp_enabled = true, totp_last_step = ${step} WHERE id = ${userId}`);
  const codes = await replaceBackupCodes(kit, tx, userId);
  await recordSecurityEvent(tx, meta, { type: 'mfa_enabled', userId, email: u.email });
  return { totp_enabled: true, backup_codes: codes };
}

async function assertPassword(u: MfaUser, password: string) {
  if (!u.password_hash || !(await verifyPassword(u.password_hash, password))) throw fieldError('password', 'Password is incorrect.');
}

export async function disableTotp(tx: Tx, meta: RequestMeta, userId: string, password: string) {
  const u = await load(tx, userId);
  await assertPassword(u, password);
  await tx.execute(sql`UPDATE users SET totp_enabled = false, totp_secret = NULL, totp_last_step = NULL WHERE id = ${userId}`);
  await tx.execute(sql`DELETE FROM backup_codes WHERE user_id = ${userId}`);
  await recordSecurityEvent(tx, meta, { type: 'mfa_disabled', severity: 'medium', userId, email: u.email });
  return { totp_enabled: false };
}

export async function regenerateBackupCodes(kit: AuthKit, tx: Tx, meta: RequestMeta, userId: string, password: string) {
  const u = await load(tx, userId);
  await assertPassword(u, password);
  if (!u.totp_enabled) throw badRequest('Two-factor authentication is not enabled.');
  const codes = await replaceBackupCodes(kit, tx, userId);
  await recordSecurityEvent(tx, meta, { type: 'backup_codes_regenerated', userId, email: u.email });
  return { backup_codes: codes };
}

/** For tests and tools: the code an authenticator would show now. */
export { currentStep };
