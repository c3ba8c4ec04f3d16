// The error vocabulary of the API and the one handler that turns any failure into the
// documented body: {detail, code, message, request_id, ...field errors}.
import { isConnectionLoss, pgErrorCode, rootCause } from '../db/errors.ts';
import { trackRouteMethods } from './method-not-allowed.ts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type FieldErrors = { [field: string]: FieldErrorValue };
type FieldErrorValue = string[] | FieldErrors | (FieldErrors | Record<string, never>)[];

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    detail: string,
    readonly fields?: FieldErrors,
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export class ValidationError extends AppError {
  constructor(fields: FieldErrors, detail = 'Invalid input.') {
    super(400, 'validation_error', detail, fields);
  }
}

export const badRequest = (detail: string, fields?: FieldErrors) => new AppError(400, 'bad_request', detail, fields);
export const unauthorized = (detail = 'Authentication credentials were not provided or are invalid.', code = 'not_authenticated') =>
  new AppError(401, code, detail);
export const forbidden = (detail = 'You do not have permission to perform this action.', code = 'permission_denied') =>
  new AppError(403, code, detail);
export const notFound = (detail = 'Not found.') => new AppError(404, 'not_found', detail);
export const conflict = (detail: string, code = 'conflict', fields?: FieldErrors) => new AppError(409, code, detail, fields);
export const preconditionFailed = (detail = 'The resource was changed by someone else; reload it and try again.') =>
  new AppError(412, 'version_mismatch', detail);
export const tooManyRequests = (retryAfterSeconds: number, detail?: string) =>
  new AppError(429, 'throttled', detail ?? `Too many requests. Try again in ${retryAfterSeconds} seconds.`, undefined, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });

/** The database (or another dependency) cannot be reached right now: retry after a few seconds. */
export const serviceUnavailable = (detail = 'The service is temporarily unavailable (database connection lost); retry shortly.', retryAfterSeconds = 5) =>
  new AppError(503, 'service_unavailable', detail, undefined, { 'retry-after': String(retryAfterSeconds) });

/**
 * One field's error as DRF would write it: `{field: ["message"]}`. A dotted path nests it the
 * way DRF nests list items: `payments.0.amount` → `{payments: [{amount: ["message"]}]}`.
 */
export const fieldError = (field: string, message: string) =>
  new ValidationError(nestFieldErrors([{ path: field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message }]), message);

/** A value that must be unique is taken: 409 (product.md §4), the body naming the field as a 400 would. */
export const duplicate = (field: string, message: string) => conflict(message, 'duplicate', fieldError(field, message).fields);

/**
 * Turns issue paths into DRF's nested error shape: `{payments: [{amount: ["…"]}]}`. One message
 * per field, the first: Zod goes on checking a value it already found invalid (a refine after a
 * failed format), and those follow-on messages only contradict the real one.
 */
export function nestFieldErrors(issues: { path: readonly PropertyKey[]; message: string }[]): FieldErrors {
  const root: Record<string, unknown> = {};
  for (const issue of issues) {
    const path = issue.path.length ? issue.path.map((p) => (typeof p === 'symbol' ? String(p.description) : p)) : ['non_field_errors'];
    let node: Record<string | number, unknown> | unknown[] = root;
    path.forEach((key, i) => {
      const last = i === path.length - 1;
      const container = node as Record<string | number, unknown>;
      // Own properties only, written as data properties: a refused field may be named `__proto__`.
      const existing = Object.hasOwn(container, key) ? container[key as string] : undefined;
      if (last) {
        const list = Array.isArray(existing) && existing.every((x) => typeof x === 'string') ? (existing as string[]) : [];
        if (list.length === 0) list.push(issue.message);
        setOwn(container, key, list);
        return;
      }
      const nextIsIndex = typeof path[i + 1] === 'number';
      let child = existing;
      if (child === undefined || typeof child !== 'object' || (Array.isArray(child) && !nextIsIndex)) {
        child = nextIsIndex ? [] : {};
        setOwn(container, key, child);
      }
      if (Array.isArray(child)) {
        const idx = path[i + 1] as number;
        for (let k = child.length; k <= idx; k++) child.push({});
      }
      node = child as Record<string, unknown>;
    });
  }
  return root as FieldErrors;
}

const setOwn = (target: object, key: string | number, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

/** First human message of a field-error tree, to headline a 400. */
function firstMessage(fields: FieldErrors): string | undefined {
  for (const [key, value] of Object.entries(fields)) {
    if (Array.isArray(value)) {
      const inner = firstInList(value);
      if (inner) return key === 'non_field_errors' && !inner.nested ? inner.text : `${key}: ${inner.text}`;
    } else if (typeof value === 'object' && value !== null) {
      const inner = firstMessage(value);
      if (inner) return `${key}.${inner}`;
    }
  }
  return undefined;
}

/**
 * A list holds messages, or one entry per array element (a message list or a nested map):
 * strings are never walked into, so every path ends.
 */
function firstInList(list: unknown[]): { text: string; nested: boolean } | undefined {
  for (const item of list) {
    if (typeof item === 'string') return { text: item, nested: false };
    if (Array.isArray(item)) {
      const inner = firstInList(item);
      if (inner) return { text: inner.text, nested: true };
    } else if (typeof item === 'object' && item !== null) {
      const inner = firstMessage(item as FieldErrors);
      if (inner) return { text: inner, nested: true };
    }
  }
  return undefined;
}

export function errorBody(request: FastifyRequest, code: string, detail: string, fields?: FieldErrors) {
  return { ...(fields ?? {}), detail, code, message: detail, request_id: request.id };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: AppError) {
  if (err.headers) reply.headers(err.headers);
  // A few web-client routes show field toasts only for a bare DRF field map (no message), and
  // only for a 400: a duplicate (409 elsewhere) is answered that way there too.
  const plain = err.statusCode === 400 || (err.statusCode === 409 && err.code === 'duplicate');
  if (plain && err.fields && request.routeOptions.config?.plainFieldErrors) {
    return reply.code(400).send(err.fields);
  }
  const detail = err.fields && err.message === 'Invalid input.' ? (firstMessage(err.fields) ?? err.message) : err.message;
  return reply.code(err.statusCode).send(errorBody(request, err.code, detail, err.fields));
}

const FASTIFY_CLIENT_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'parse_error', 'Malformed JSON in the request body.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'parse_error', 'The request body is empty but Content-Type is application/json.'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Unsupported Content-Type.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request', 'Content-Length does not match the body.'],
  FST_ERR_CTP_INVALID_TYPE: [400, 'bad_request', 'Invalid Content-Type.'],
  FST_ERR_BAD_URL: [400, 'bad_request', 'Malformed URL.'],
  FST_REQ_FILE_TOO_LARGE: [400, 'file_too_large', 'A file is larger than the 10 MB limit.'],
  FST_FILES_LIMIT: [400, 'too_many_files', 'Too many files in one request.'],
  FST_PARTS_LIMIT: [400, 'too_many_parts', 'Too many fields in one request.'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [400, 'bad_request', 'The request is not multipart/form-data.'],
};

export function registerErrorHandling(app: FastifyInstance, opts: { exposeStack: boolean }) {
  const allowedMethods = trackRouteMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = allowedMethods(path);
    // A known path and another method: 405 with what it does support. A supported method that
    // still reached here (a parameter over the router's length limit) stays a 404.
    if (allowed.length && !allowed.includes(request.method)) {
      const headers = { allow: allowed.join(', ') };
      return sendError(request, reply, new AppError(405, 'method_not_allowed', `Method ${request.method} is not allowed on ${path}.`, undefined, headers));
    }
    return sendError(request, reply, new AppError(404, 'not_found', `No route for ${request.method} ${path}.`));
  });

  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) return sendError(request, reply, error);
    const known = 'code' in error && typeof error.code === 'string' ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
    if (known) return sendError(request, reply, new AppError(known[0], known[1], known[2]));
    const status = (error as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      // Framework or plugin client errors (bad multipart, rate limit, …): the message is meant for the client.
      const code = status === 429 ? 'throttled' : status === 404 ? 'not_found' : 'bad_request';
      return sendError(request, reply, new AppError(status, code, error.message));
    }
    const database = databaseErrorToAppError(error);
    if (database) return sendError(request, reply, database);
    // Anything else is our fault: log what is needed to find it, answer with nothing internal.
    request.log.error({ err: { ...describeError(error), ...(opts.exposeStack ? { stack: rootCause(error).stack } : {}) } }, 'unhandled error');
    return sendError(
      request,
      reply,
      new AppError(500, 'server_error', 'Something went wrong on our side. Quote the request id if you report it.'),
    );
  });
}

/** Database conditions that are the client's doing, when a service did not catch them itself. */
function databaseErrorToAppError(error: unknown): AppError | undefined {
  if (isConnectionLoss(error)) return serviceUnavailable();
  switch (pgErrorCode(error)) {
    case '23505':
      return conflict('A record with these values already exists.', 'duplicate');
    case '23503':
      return conflict('The record is referenced by, or refers to, a record that does not exist or is in use.', 'integrity_error');
    case '40001':
    case '40P01':
      return conflict('The request conflicted with a concurrent change; retry it.', 'concurrent_update');
    // Text PostgreSQL cannot store (a NUL, an invalid escape): the request layer refuses these
    // first (src/core/http/input-guards.ts); this is the safety net for any path it does not see.
    case '22021':
    case '22P05':
      return badRequest('A text value contains a character that cannot be stored (a null character or invalid encoding).');
    case '22P02':
    case '22003':
    case '22007':
    case '22008':
      return badRequest('A value has an invalid format or is out of range.');
    default:
      return undefined;
  }
}

/** What may be logged of an error: never the SQL parameters a query error carries in its message. */
function describeError(error: Error) {
  const cause = rootCause(error);
  return { type: error.name, message: cause.message, code: (cause as { code?: unknown }).code };
}
