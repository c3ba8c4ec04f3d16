// Security headers (helmet's policy) computed once at start and set by one header call per
// request. @fastify/helmet builds helmet's middleware again on every request (parsing the CSP
// directives, ~0.1 ms); the headers depend only on the configuration, so the result is the same.
import { createRequire } from 'node:module';
import type { FastifyHelmetOptions } from '@fastify/helmet';

type HelmetOptions = Omit<FastifyHelmetOptions, 'enableCSPNonces' | 'global'>;
type Middleware = (req: unknown, res: { setHeader(name: string, value: string): void; removeHeader(name: string): void }, next: (err?: unknown) => void) => void;

// helmet itself, the one @fastify/helmet depends on (a single copy and version of the policy).
const requireFromHelmetPlugin = createRequire(createRequire(import.meta.url).resolve('@fastify/helmet'));
const helmet = (requireFromHelmetPlugin('helmet') as { default: (options: HelmetOptions) => Middleware }).default;

/** The headers helmet sets for these options, lower-cased names. */
export function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  helmet(options)(
    {},
    {
      setHeader: (name, value) => void (headers[name.toLowerCase()] = value),
      removeHeader: () => undefined, // X-Powered-By: Fastify never sets it
    },
    (err) => {
      if (err) throw err;
    },
  );
  return Object.freeze(headers);
}
