// PostgreSQL error inspection, the same for both drivers (Drizzle wraps driver errors).

/** The innermost cause: the driver's own error, without Drizzle's "Failed query … params" wrapper. */
export function rootCause(error: unknown): Error {
  let current = error as Error & { cause?: unknown };
  for (let depth = 0; depth < 5 && current?.cause instanceof Error; depth++) current = current.cause as Error & { cause?: unknown };
  return current;
}

/** SQLSTATE of a database error (e.g. '23505' unique violation), if it is one. */
export function pgErrorCode(error: unknown): string | undefined {
  let current = error as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (typeof current.code === 'string' && /^[0-9A-Z]{5}$/.test(current.code)) return current.code;
    current = current.cause as typeof current;
  }
  return undefined;
}

/** The constraint a violation names, to turn it into a field error. */
export function pgConstraint(error: unknown): string | undefined {
  let current = error as { constraint?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (typeof current.constraint === 'string') return current.constraint;
    current = current.cause as typeof current;
  }
  return undefined;
}

/** SQLSTATEs of a connection the server ended or refused: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections. */
const CONNECTION_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres and pg-pool raise these without a code.
const CONNECTION_MESSAGES = /Connection terminated|not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable|the database system is (shutting down|starting up|in recovery mode)/;

/**
 * The database connection was lost or could not be had (server restarted, connection killed,
 * pool exhausted): nothing the request did, so it is answered 503 and may be retried. Class 08
 * is PostgreSQL's connection exceptions.
 */
export function isConnectionLoss(error: unknown): boolean {
  let current = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = typeof current.code === 'string' ? current.code : '';
    if (CONNECTION_STATES.has(code) || code.startsWith('08') || SOCKET_CODES.has(code)) return true;
    if (typeof current.message === 'string' && CONNECTION_MESSAGES.test(current.message)) return true;
    current = current.cause as typeof current;
  }
  return false;
}
