// Applying the password policy to a particular user: the policy itself plus "not one of the
// last five", and the single place that sets a new password.
import { rows, sql, type Tx } from '../db/database.ts';
import { ValidationError } from '../http/errors.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

const HISTORY_DEPTH = 5;

export async function assertAcceptablePassword(
  tx: Tx,
  password: string,
  who: { userId?: string; email?: string; firstName?: string; lastName?: string },
  field = 'new_password',
): Promise<void> {
  const problems = checkPasswordPolicy(password, { email: who.email, firstName: who.firstName, lastName: who.lastName });
  if (problems.length) throw new ValidationError({ [field]: problems });
  if (!who.userId) return;
  const recent = await rows<{ password_hash: string }>(
    tx,
    sql`SELECT password_hash FROM password_history WHERE user_id = ${who.userId} ORDER BY created_at DESC LIMIT ${HISTORY_DEPTH}`,
  );
  for (const r of recent) {
    if (await verifyPassword(r.password_hash, password)) {
      throw new ValidationError({ [field]: [`You cannot reuse one of your last ${HISTORY_DEPTH} passwords.`] });
    }
  }
}

/** Stores a new password (already checked), records it in the history, restarts its expiry. */
export async function setPassword(tx: Tx, userId: string, password: string, mustChange: boolean): Promise<void> {
  const hash = await hashPassword(password);
  await tx.execute(sql`UPDATE users SET password_hash = ${hash}, password_changed_at = now(), must_change_password = ${mustChange},
    failed_login_count = 0, locked_until = NULL WHERE id = ${userId}`);
  await tx.execute(sql`INSERT INTO password_history (user_id, password_hash) VALUES (${userId}, ${hash})`);
}
