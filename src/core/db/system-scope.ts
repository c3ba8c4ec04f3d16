// A few statements of a tenant transaction that must reach rows beyond the organisation (a
// person's memberships elsewhere, their sessions, a notification outside any organisation) run
// as the system role inside the same transaction; the caller's role is restored afterwards.
// Callers have already decided that the caller may see or change those rows.
import { APP_ROLE, rows, sql, SYSTEM_ROLE, type Tx } from './database.ts';

export async function asSystem<T>(tx: Tx, fn: () => Promise<T>): Promise<T> {
  const [current] = await rows<{ role: string }>(tx, sql`SELECT current_user::text AS role`);
  if (current?.role !== APP_ROLE) return fn();
  await tx.execute(sql.raw(`SET LOCAL ROLE ${SYSTEM_ROLE}`));
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    // After a failed statement the transaction is aborted and rolls back anyway.
    await tx.execute(sql.raw(`SET LOCAL ROLE ${APP_ROLE}`)).catch(() => undefined);
    throw err;
  }
  await tx.execute(sql.raw(`SET LOCAL ROLE ${APP_ROLE}`));
  return result;
}
