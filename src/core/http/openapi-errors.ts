// The 4xx (and 503) answers of every operation in the OpenAPI document, with the error body the
// app really sends (src/core/http/errors.ts `errorBody`/`sendError`). Added to the document only:
// a response schema on the route itself would make Fastify serialise error bodies through it.
import type { RouteOptions } from 'fastify';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Components shared by every operation's error responses. */
export const ERROR_COMPONENTS = {
  // One field's errors, as DRF writes them: messages, a nested map, or one entry per list item
  // (a map for a list of objects, messages for a list of values: `{"disabled_types": [["…"]]}`).
  FieldErrorValue: {
    anyOf: [
      { type: 'array', items: { type: 'string' } },
      ref('FieldErrors'),
      { type: 'array', items: { anyOf: [ref('FieldErrors'), { type: 'array', items: { type: 'string' } }] } },
    ],
  },
  FieldErrors: {
    type: 'object',
    description: 'Field name → its errors (DRF style): `{"amount": ["This field is required."]}`.',
    additionalProperties: ref('FieldErrorValue'),
  },
  Error: {
    type: 'object',
    description: 'Every error answer: `detail` and `message` (the same text), a machine `code`, the `request_id`, and the field errors, if any, beside them.',
    required: ['detail', 'code', 'message', 'request_id'],
    properties: {
      detail: { type: 'string' },
      code: { type: 'string', examples: ['validation_error', 'not_authenticated', 'permission_denied', 'not_found', 'duplicate'] },
      message: { type: 'string' },
      request_id: { type: 'string' },
    },
    additionalProperties: ref('FieldErrorValue'),
  },
  // Web-client routes that show field toasts answer a field 400 as the bare map.
  ErrorOrFieldErrors: { anyOf: [ref('Error'), ref('FieldErrors')] },
} as const;

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: the fields at fault are named in the body.',
  401: 'Not authenticated, or the credentials are invalid or expired.',
  403: 'Authenticated, without the permission this needs.',
  404: 'No such record in your organisation (or no such organisation named).',
  409: 'Conflicts with existing data: a duplicate value (the field is named), a record in use, a concurrent change, or an Idempotency-Key still in flight.',
  412: 'The record changed since the version given in If-Match.',
  413: 'The request body is too large.',
  415: 'Unsupported Content-Type.',
  422: 'The Idempotency-Key was already used with a different request.',
  423: 'The account is temporarily locked after repeated failed logins.',
  429: 'Too many requests; retry after the number of seconds in Retry-After.',
  503: 'Temporarily unavailable (the database or Redis does not answer); retry after Retry-After.',
};

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'string' } } };

type Route = Pick<RouteOptions, 'url' | 'method' | 'config' | 'schema'>;

/**
 * Which error statuses an operation can answer, from what the route declares: authentication
 * (401, and 403/404 for tenant routes), path ids (404), a write (409, and 413/415 with a body),
 * an If-Match header (412), a create (422: Idempotency-Key reused), public routes (429: login,
 * registration and the like are throttled; 423 a locked account on the sign-in steps).
 * Every operation can answer 400 (query and path values are checked too) and 503.
 */
export function errorStatuses(route: Route, method: string): number[] {
  const url = route.url;
  const config = (route.config ?? {}) as { auth?: string };
  const auth = config.auth ?? (url.startsWith('/api/') ? 'required' : 'none');
  const write = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  const body = ['POST', 'PUT', 'PATCH'].includes(method);
  const headers = (route.schema as { headers?: { shape?: Record<string, unknown> } } | undefined)?.headers?.shape ?? {};
  const statuses = [400, 503];
  // Public routes under /api/auth/ check credentials of their own (login, refresh, second factor).
  if (auth !== 'none' || url.startsWith('/api/auth/')) statuses.push(401);
  // Routes with optional authentication may still check a permission once signed in.
  if (auth !== 'none') statuses.push(403);
  if (auth !== 'none' || url.includes(':')) statuses.push(404);
  if (write) statuses.push(409);
  if ('if-match' in headers) statuses.push(412);
  if (body) statuses.push(413, 415);
  if (method === 'POST') statuses.push(422); // creates take an Idempotency-Key
  if (auth !== 'required' && url.startsWith('/api/auth/')) statuses.push(423);
  if (auth !== 'required') statuses.push(429);
  return statuses.sort((a, b) => a - b);
}

/** The OpenAPI responses for those statuses; `plainFieldErrors` routes may answer a bare field map. */
export function errorResponses(route: Route, method: string): Record<string, unknown> {
  const plain = (route.config as { plainFieldErrors?: boolean } | undefined)?.plainFieldErrors === true;
  const responses: Record<string, unknown> = {};
  for (const status of errorStatuses(route, method)) {
    const schema = plain && (status === 400 || status === 409) ? ref('ErrorOrFieldErrors') : ref('Error');
    responses[String(status)] = {
      description: DESCRIPTIONS[status],
      ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
      content: { 'application/json': { schema } },
    };
  }
  return responses;
}

interface OpenApiDocument {
  paths?: Record<string, object | undefined>;
  components?: { schemas?: Record<string, unknown> };
}

/** Adds the error components and each operation's error responses (by `get /api/x/{id}/`), keeping any the route declares. */
export function withErrorResponses<D extends object>(document: D, errorsByOperation: ReadonlyMap<string, Record<string, unknown>>): D {
  const doc = document as OpenApiDocument;
  doc.components ??= {};
  doc.components.schemas = { ...doc.components.schemas, ...ERROR_COMPONENTS };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item ?? {}) as [string, { responses?: Record<string, unknown> }][]) {
      const errors = errorsByOperation.get(`${method} ${path}`);
      if (errors && typeof operation === 'object') operation.responses = { ...errors, ...operation.responses };
    }
  }
  return document;
}
