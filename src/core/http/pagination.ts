// One pagination scheme for every list: {count, next, previous, results}; `page` and
// `page_size` (alias `limit`), defaults and ceiling from configuration.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

/**
 * A whole number in a query string, digits only as DRF reads it: `1e3`, `1.5`, `0x10`, `abc` are
 * not integers (Number() would take the first three). Bounded, so that nothing overflows later.
 */
export function queryInteger(min: number, max: number) {
  const INTEGER = 'A valid integer is required.';
  return z
    .union([z.string().trim(), z.number()], { error: INTEGER })
    .transform(String)
    .pipe(z.string().regex(/^\d{1,16}$/, INTEGER))
    .transform(Number)
    .pipe(z.number().min(min, `Ensure this value is greater than or equal to ${min}.`).max(max, `Ensure this value is less than or equal to ${max}.`));
}

// A page past 10^9 would only overflow the OFFSET.
const positiveInt = queryInteger(1, 1e9);

/** Query fields every list accepts; spread into a route's query schema. */
export const pageQueryFields = {
  page: positiveInt.optional(),
  page_size: positiveInt.optional(),
  limit: positiveInt.optional(),
};

export interface PageRequest {
  page: number;
  pageSize: number;
  offset: number;
}

export interface PageLimits {
  pageSize: number;
  maxPageSize: number;
}

/**
 * `webClientList` is for the routes the PRS web client lists: it keeps only `results` and
 * paginates tables itself (its `limit` is its own display size), so it gets the whole list up
 * to the ceiling unless `page_size` says otherwise.
 */
export function pageRequest(
  query: { page?: number | undefined; page_size?: number | undefined; limit?: number | undefined },
  limits: PageLimits,
  options: { webClientList?: boolean } = {},
): PageRequest {
  const page = query.page ?? 1;
  const requested = options.webClientList ? query.page_size : (query.page_size ?? query.limit);
  const pageSize = Math.min(requested ?? (options.webClientList ? limits.maxPageSize : limits.pageSize), limits.maxPageSize);
  return { page, pageSize, offset: (page - 1) * pageSize };
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Builds the envelope, with absolute next/previous links that keep every other query value. */
export function pageEnvelope<T>(request: FastifyRequest, page: PageRequest, count: number, results: T[]): Page<T> {
  const lastPage = Math.max(1, Math.ceil(count / page.pageSize));
  const link = (target: number) => {
    const url = new URL(request.url, `${request.protocol}://${request.host}`);
    url.search = '';
    for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) {
      if (key === 'page' || value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
    }
    if (target > 1) url.searchParams.set('page', String(target));
    return url.toString();
  };
  return {
    count,
    next: page.page < lastPage ? link(page.page + 1) : null,
    previous: page.page > 1 ? link(Math.min(page.page - 1, lastPage)) : null,
    results,
  };
}

/** Response schema of a paginated list of `item`. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });
}
