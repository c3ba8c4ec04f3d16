// Login steps: password, then (when due) the second factor, then (when due) a password change,
// then a session. Failures of passwords and codes are throttled and may lock the account (login-throttle.ts).
import { rows, sql, type Tx } from '../db/database.ts';
import type { RequestMeta } from '../http/context.ts';
import { AppError, fieldError, forbidden, tooManyRequests, unauthorized } from '../http/errors.ts';
import { findUser, queueEmail } from '../users/repo.ts';
import { userType } from '../users/present.ts';
import { hashBackupCode, normaliseBackupCode } from './backup-codes.ts';
import type { AuthKit } from './kit.ts';
import { clearLoginFailures, countLoginFailure, loginWait } from './login-throttle.ts';
import { hashToken, newOpaqueToken } from './opaque-tokens.ts';
import { assertAcceptablePassword, setPassword } from './password-rules.ts';
import { verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { recordSecurityEvent } from './security-events.ts';
import { openSession, type IssuedSession } from './sessions.ts';
import { verifyTotp } from './totp.ts';

const INVALID_CREDENTIALS = 'Invalid email or password.';

interface LoginUser {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  password_hash: string | null;
  is_active: boolean;
  is_superuser: boolean;
  must_change_password: boolean;
  password_expired: boolean;
  locked_until: string | null;
  failed_login_count: number;
  totp_enabled: boolean;
  totp_secret: string | null;
  totp_last_step: string | null;
  organization_id: string | null;
  role_name: string | null;
}

async function findLoginUser(tx: Tx, where: ReturnType<typeof sql>, expiryDays: number): Promise<LoginUser | undefined> {
  const [row] = await rows<LoginUser>(
    tx,
    sql`SELECT u.id, u.email, u.first_name, u.last_name, u.password_hash, u.is_active, u.is_superuser, u.must_change_password,
          (${expiryDays} > 0 AND COALESCE(u.password_changed_at, u.created_at) < now() - make_interval(days => ${expiryDays})) AS password_expired,
          u.locked_until, u.failed_login_count, u.totp_enabled, u.totp_secret, u.totp_last_step::text AS totp_last_step,
          m.organization_id, r.name AS role_name
        FROM users u
        LEFT JOIN LATERAL (
          SELECT mm.* FROM memberships mm JOIN organizations o ON o.id = mm.organization_id
          WHERE mm.user_id = u.id AND mm.is_active AND mm.status = 'active' AND o.is_active
          -- The organisation the person last worked in, else their oldest membership.
          ORDER BY (mm.organization_id = u.last_organization_id) IS TRUE DESC, mm.created_at, mm.id LIMIT 1) m ON true
        LEFT JOIN roles r ON r.id = m.role_id
        WHERE ${where}`,
  );
  return row;
}

export type LoginOutcome =
  | IssuedSession
  | { requires_otp: true; user_type: string; mfa_token: string; message: string; email: string }
  | { requires_password_change: true; temporary_token: string; user_type: string; email: string; message: string };

async function newChallenge(kit: AuthKit, tx: Tx, userId: string, purpose: 'mfa' | 'password_change'): Promise<string> {
  const token = newOpaqueToken();
  await tx.execute(sql`UPDATE auth_challenges SET consumed_at = now() WHERE user_id = ${userId} AND purpose = ${purpose} AND consumed_at IS NULL`);
  await tx.execute(sql`INSERT INTO auth_challenges (user_id, purpose, token_hash, expires_at)
    VALUES (${userId}, ${purpose}, ${hashToken(token)}, now() + make_interval(secs => ${kit.settings.challengeTtlSeconds}))`);
  return token;
}

/** After the password (and second factor): a forced change if due, else a session. */
async function finishLogin(kit: AuthKit, tx: Tx, meta: RequestMeta, user: LoginUser): Promise<LoginOutcome> {
  if (user.must_change_password || user.password_expired) {
    const temporary = await newChallenge(kit, tx, user.id, 'password_change');
    await recordSecurityEvent(tx, meta, {
      type: user.password_expired ? 'password_expired' : 'password_change_required',
      userId: user.id,
      orgId: user.organization_id,
      email: user.email,
    });
    return {
      requires_password_change: true,
      temporary_token: temporary,
      user_type: userType(user),
      email: user.email,
      message: user.password_expired ? 'Your password has expired; choose a new one.' : 'You must choose a new password.',
    };
  }
  return openSession(kit, tx, meta, user.id, user.organization_id);
}

/** 429 while this e-mail may not be tried from this address (login-throttle.ts). */
async function assertMayTry(kit: AuthKit, db: SystemDb, meta: RequestMeta, email: string): Promise<void> {
  const wait = await loginWait(kit.counters, kit.settings.login, email, meta.ip);
  if (wait <= 0) return;
  await db.system((tx) => recordSecurityEvent(tx, meta, { type: 'login_throttled', severity: 'medium', email }));
  throw tooManyRequests(wait, 'Too many failed login attempts. Try again later.');
}

/**
 * A wrong password or code: counted, recorded, and when the failures from several addresses
 * reach the threshold the account locks and its owner is told by e-mail (once per lock).
 */
async function recordFailedAttempt(kit: AuthKit, tx: Tx, meta: RequestMeta, email: string, user: LoginUser | undefined, type: 'login_failed' | 'otp_failed') {
  const policy = kit.settings.login;
  const { lock } = await countLoginFailure(kit.counters, policy, email, meta.ip);
  await recordSecurityEvent(tx, meta, { type, severity: 'medium', userId: user?.id, orgId: user?.organization_id, email });
  if (!user) return;
  await tx.execute(sql`UPDATE users SET failed_login_count = failed_login_count + 1 WHERE id = ${user.id}`);
  if (!lock) return;
  const [locked] = await rows<{ locked_until: string }>(
    tx,
    sql`UPDATE users SET locked_until = now() + make_interval(mins => ${policy.lockoutMinutes})
        WHERE id = ${user.id} AND (locked_until IS NULL OR locked_until <= now()) RETURNING locked_until`,
  );
  if (!locked) return;
  await recordSecurityEvent(tx, meta, { type: 'account_locked', severity: 'high', userId: user.id, orgId: user.organization_id, email });
  await queueEmail(
    tx,
    user.email,
    'Your PRS account was locked',
    `Hello ${user.first_name},\n\nSomeone failed to sign in to your PRS account many times from several addresses, so it is locked ` +
      `until ${new Date(locked.locked_until).toISOString()} (UTC). If this was not you, your password is still safe as long as it was ` +
      `not guessed; change it once you are back in, and tell your administrator.\n`,
    user.organization_id,
  );
}

type SystemDb = { system<T>(fn: (tx: Tx) => Promise<T>): Promise<T> };

export async function loginWithPassword(kit: AuthKit, db: SystemDb, meta: RequestMeta, email: string, password: string): Promise<LoginOutcome> {
  email = email.trim().toLowerCase();
  await assertMayTry(kit, db, meta, email);

  // Failures must be recorded even though the login answers with an error, so the failing
  // branches return their error and the transaction commits before it is thrown.
  const result = await db.system(async (tx): Promise<LoginOutcome | AppError> => {
    const user = await findLoginUser(tx, sql`u.email = ${email}`, kit.settings.passwordExpiryDays);
    const passwordOk = user?.password_hash ? await verifyPassword(user.password_hash, password) : await verifyAgainstDummy(password);
    if (!user || !passwordOk) {
      await recordFailedAttempt(kit, tx, meta, email, user, 'login_failed');
      return unauthorized(INVALID_CREDENTIALS, 'invalid_credentials');
    }
    if (user.locked_until && new Date(user.locked_until).getTime() > Date.now()) {
      await recordSecurityEvent(tx, meta, { type: 'login_locked', severity: 'medium', userId: user.id, email });
      return new AppError(423, 'account_locked', 'This account is temporarily locked after repeated failed logins. Try again later.');
    }
    if (!user.is_active) {
      await recordSecurityEvent(tx, meta, { type: 'login_inactive', userId: user.id, email });
      return forbidden('This account is deactivated.', 'account_inactive');
    }
    if (!user.organization_id && !user.is_superuser) return forbidden('This account belongs to no active organisation.', 'no_organization');
    await tx.execute(sql`UPDATE users SET failed_login_count = 0 WHERE id = ${user.id}`);
    if (user.totp_enabled) {
      // The budget is cleared only once the code is right too: a password alone buys no guesses.
      const mfaToken = await newChallenge(kit, tx, user.id, 'mfa');
      return { requires_otp: true, user_type: userType(user), mfa_token: mfaToken, email: user.email, message: 'Enter the code from your authenticator app.' };
    }
    await clearLoginFailures(kit.counters, email, meta.ip);
    return finishLogin(kit, tx, meta, user);
  });
  if (result instanceof AppError) throw result;
  return result;
}

interface ChallengeRow {
  id: string;
  user_id: string;
  attempts: number;
}

async function activeChallenge(tx: Tx, purpose: 'mfa' | 'password_change', by: { token?: string | undefined; email?: string | undefined }) {
  const match = by.token ? sql`c.token_hash = ${hashToken(by.token)}` : sql`u.email = ${(by.email ?? '').trim().toLowerCase()}`;
  const [row] = await rows<ChallengeRow>(
    tx,
    sql`SELECT c.id, c.user_id, c.attempts FROM auth_challenges c JOIN users u ON u.id = c.user_id
        WHERE ${match} AND c.purpose = ${purpose} AND c.consumed_at IS NULL AND c.expires_at > now()
        ORDER BY c.created_at DESC LIMIT 1 FOR UPDATE OF c`,
  );
  return row;
}

export async function verifySecondFactor(
  kit: AuthKit,
  db: SystemDb,
  meta: RequestMeta,
  input: { email?: string | undefined; mfa_token?: string | undefined; otp: string },
): Promise<LoginOutcome> {
  const result = await db.system(async (tx): Promise<LoginOutcome | AppError> => {
    const challenge = await activeChallenge(tx, 'mfa', { token: input.mfa_token, email: input.mfa_token ? undefined : input.email });
    if (!challenge) return new AppError(400, 'invalid_otp', 'Invalid or expired code.', { otp: ['Invalid or expired code.'] });
    if (challenge.attempts >= kit.settings.maxOtpAttempts) {
      await tx.execute(sql`UPDATE auth_challenges SET consumed_at = now() WHERE id = ${challenge.id}`);
      return tooManyRequests(60, 'Too many wrong codes. Sign in again.');
    }
    const user = (await findLoginUser(tx, sql`u.id = ${challenge.user_id}`, kit.settings.passwordExpiryDays))!;
    // Codes share the password's budget: a stolen password must not buy endless guesses.
    const wait = await loginWait(kit.counters, kit.settings.login, user.email, meta.ip);
    if (wait > 0) return tooManyRequests(wait, 'Too many failed attempts. Try again later.');
    const code = input.otp.trim();
    let accepted = false;
    if (/^\d{6}$/.test(code) && user.totp_secret) {
      const step = verifyTotp(kit.secretBox.open(user.totp_secret), code, { lastUsedStep: user.totp_last_step === null ? null : Number(user.totp_last_step) });
      if (step !== null) {
        await tx.execute(sql`UPDATE users SET totp_last_step = ${step} WHERE id = ${user.id}`);
        accepted = true;
      }
    } else {
      const used = await rows(
        tx,
        sql`UPDATE backup_codes SET used_at = now() WHERE user_id = ${user.id} AND code_hash = ${hashBackupCode(normaliseBackupCode(code), kit.pepper)}
            AND used_at IS NULL RETURNING id`,
      );
      accepted = used.length > 0;
      if (accepted) await recordSecurityEvent(tx, meta, { type: 'backup_code_used', severity: 'medium', userId: user.id, email: user.email });
    }
    if (!accepted) {
      await tx.execute(sql`UPDATE auth_challenges SET attempts = attempts + 1 WHERE id = ${challenge.id}`);
      await recordFailedAttempt(kit, tx, meta, user.email, user, 'otp_failed');
      return new AppError(400, 'invalid_otp', 'Invalid or expired code.', { otp: ['Invalid or expired code.'] });
    }
    await tx.execute(sql`UPDATE auth_challenges SET consumed_at = now() WHERE id = ${challenge.id}`);
    await clearLoginFailures(kit.counters, user.email, meta.ip);
    return finishLogin(kit, tx, meta, user);
  });
  if (result instanceof AppError) throw result;
  return result;
}

/** Completes a forced password change with the temporary token from the login answer. */
export async function setPasswordWithChallenge(
  kit: AuthKit,
  db: SystemDb,
  meta: RequestMeta,
  input: { email: string; new_password: string; temporary_token: string },
): Promise<IssuedSession> {
  return db.system(async (tx) => {
    const challenge = await activeChallenge(tx, 'password_change', { token: input.temporary_token });
    const user = challenge ? await findLoginUser(tx, sql`u.id = ${challenge.user_id}`, kit.settings.passwordExpiryDays) : undefined;
    if (!challenge || !user || user.email !== input.email.trim().toLowerCase()) {
      throw fieldError('temporary_token', 'Invalid or expired token.');
    }
    await assertAcceptablePassword(tx, input.new_password, { userId: user.id, email: user.email, firstName: user.first_name, lastName: user.last_name });
    await setPassword(tx, user.id, input.new_password, false);
    await tx.execute(sql`UPDATE auth_challenges SET consumed_at = now() WHERE id = ${challenge.id}`);
    await recordSecurityEvent(tx, meta, { type: 'password_changed', userId: user.id, orgId: user.organization_id, email: user.email });
    const session = await openSession(kit, tx, meta, user.id, user.organization_id);
    const fresh = await findUser(tx, user.id, user.organization_id);
    return { ...session, user: { ...session.user, must_change_password: fresh?.must_change_password ?? false } };
  });
}
