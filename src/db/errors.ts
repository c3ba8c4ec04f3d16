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
