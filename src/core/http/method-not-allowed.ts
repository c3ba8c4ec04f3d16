// Which methods a path supports, for the 405 that answers any other method on a known path
// (RFC 9110 §15.5.6: with an Allow header). Every route is collected as it is registered, so a
// route added later is covered without anyone remembering to.
import type { FastifyInstance } from 'fastify';

interface PathMethods {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/api//x/` and `/api/x` are the same path to the router (ignoreDuplicateSlashes, ignoreTrailingSlash). */
const normalise = (path: string) => path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');

/** A route's URL as a regular expression over a normalised path: `:id` is one segment, `*` the rest. */
function patternOf(url: string): RegExp {
  const body = normalise(url)
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * Collects every route's methods by URL (an `onRoute` hook: call before routes are registered)
 * and answers the methods a concrete path supports: HEAD wherever GET is (Fastify exposes it),
 * OPTIONS everywhere once CORS answers preflights on every path. Empty for an unknown path.
 */
export function trackRouteMethods(app: FastifyInstance): (path: string) => string[] {
  const byUrl = new Map<string, PathMethods>();
  let preflightEverywhere = false;
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (route.url === '*' || route.url === '/*') {
      // CORS preflight: every path, known or not; it makes no path known by itself.
      preflightEverywhere ||= methods.includes('OPTIONS');
      return;
    }
    const key = normalise(route.url);
    const entry = byUrl.get(key) ?? { pattern: patternOf(route.url), methods: new Set<string>() };
    for (const method of methods) entry.methods.add(method);
    byUrl.set(key, entry);
  });
  return (path) => {
    const target = normalise(path);
    const methods = new Set<string>();
    for (const entry of byUrl.values()) if (entry.pattern.test(target)) for (const m of entry.methods) methods.add(m);
    if (methods.size === 0) return [];
    if (methods.has('GET')) methods.add('HEAD');
    if (preflightEverywhere) methods.add('OPTIONS');
    return [...methods].sort();
  };
}
