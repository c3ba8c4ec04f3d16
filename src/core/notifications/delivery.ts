// Which notifications have reached the recipient's live sockets (`notifications.pushed_at`, in
// the database so that every process and restart agrees), so that each reaches a user once:
//
// - A connect's catch-up *claims* the user's unread, unpushed notifications with one
//   UPDATE … RETURNING: of sockets connecting at the same moment (the web client opens three
//   within a second) only one gets each row; the others' catch-up is empty.
// - A live push (and a `since` catch-up) is marked pushed once the client has confirmed it.
// - Confirmed means: the client answered a ping sent after the frame (a WebSocket is one ordered
//   TCP stream, so the pong proves the frames before it arrived). A socket that ends before
//   confirming a claim gives it back and the rows go to the user's other sockets or the next
//   connect: a dropped connection loses nothing. Live pushes it never confirmed were never marked
//   (and go to its session's next socket, socket.ts; a live push reaches one socket per session).
import { rows, sql, type Tx } from '../db/database.ts';
import type { NotificationRow } from './present.ts';
import { COLUMNS, scopeWhere, type Scope } from './repo.ts';

/**
 * Claims every unread notification of the scope not yet pushed to a socket. Returns the newest
 * `limit` (oldest first; older ones stay in the list, a client wants no thousand toasts) and the
 * claim's value, which gives them back (releaseClaim) if the socket ends unconfirmed.
 */
export async function claimUnpushed(tx: Tx, scope: Scope, limit: number): Promise<{ rows: NotificationRow[]; claim: string | null }> {
  // The WHERE is checked again on rows a concurrent claim is updating (READ COMMITTED), so a
  // row claimed meanwhile is skipped, never returned twice. `claim` is now() as text: exact.
  const claimed = await rows<NotificationRow & { claim: string }>(
    tx,
    sql`WITH c AS (UPDATE notifications n SET pushed_at = now()
          WHERE ${scopeWhere(scope)} AND NOT n.is_read AND n.pushed_at IS NULL
          RETURNING ${COLUMNS}, n.pushed_at::text AS claim)
        SELECT c.*, u.email AS recipient_email FROM c JOIN users u ON u.id = c.recipient_id
        ORDER BY c.created_at DESC, c.id DESC LIMIT ${limit}`,
  );
  return { rows: claimed.map(({ claim: _, ...row }) => row).reverse(), claim: claimed[0]?.claim ?? null };
}

/** Marks notifications as pushed (now: a later time also makes an older claim of them final). */
export async function markPushed(tx: Tx, scope: Scope, ids: readonly string[]): Promise<void> {
  if (!ids.length) return;
  await tx.execute(sql`UPDATE notifications n SET pushed_at = now() WHERE ${scopeWhere(scope)} AND n.id = ANY(${sql.param(ids)})`);
}

/**
 * Gives back a claim whose socket ended before confirming it: rows still carrying that claim
 * (not confirmed by another socket since) and still unread become unpushed. Returns them.
 */
export async function releaseClaim(tx: Tx, scope: Scope, ids: readonly string[], claim: string): Promise<NotificationRow[]> {
  if (!ids.length) return [];
  return rows<NotificationRow>(
    tx,
    sql`WITH r AS (UPDATE notifications n SET pushed_at = NULL
          WHERE ${scopeWhere(scope)} AND n.id = ANY(${sql.param(ids)}) AND n.pushed_at = ${claim} AND NOT n.is_read
          RETURNING ${COLUMNS})
        SELECT r.*, u.email AS recipient_email FROM r JOIN users u ON u.id = r.recipient_id ORDER BY r.created_at, r.id`,
  );
}

interface Sent {
  id: string;
  /** The claim it came with (catch-up), or null: a live push, marked pushed when confirmed. */
  claim: string | null;
  /** The ping whose pong confirms it: the first one sent after it. */
  ping: number;
}

/** A socket's notifications sent but not yet confirmed by the client (no I/O of its own). */
export class PendingDeliveries {
  private nextPing = 0;
  private items: Sent[] = [];

  sent(ids: readonly string[], claim: string | null): void {
    for (const id of ids) this.items.push({ id, claim, ping: this.nextPing });
  }

  get waiting(): boolean {
    return this.items.some((i) => i.ping === this.nextPing);
  }

  /** The payload of the next ping: its number, echoed by the client's pong. */
  ping(): Buffer {
    return Buffer.from(String(this.nextPing++));
  }

  /** A pong: confirms what was sent before the ping it answers; returns the live ids to mark. */
  pong(payload: Buffer): string[] {
    const answered = /^\d{1,15}$/.test(payload.toString()) ? Number(payload.toString()) : -1;
    const done = this.items.filter((i) => i.ping <= answered);
    if (!done.length) return [];
    this.items = this.items.filter((i) => i.ping > answered);
    return done.filter((i) => i.claim === null).map((i) => i.id);
  }

  /** When the socket ends: the unconfirmed claimed ids, by claim. Live ones were never marked. */
  drain(): Map<string, string[]> {
    const byClaim = new Map<string, string[]>();
    for (const { id, claim } of this.items) if (claim !== null) byClaim.set(claim, [...(byClaim.get(claim) ?? []), id]);
    this.items = [];
    return byClaim;
  }
}
