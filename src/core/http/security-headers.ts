// Security headers (helmet's policy) computed once at start and set by one header call per
// request. The @fastify/helmet plugin built helmet's middleware again on every request (parsing the CSP
// directives, ~0.1 ms); the headers depend only on the configuration, so the result is the same.
import helmet, { type HelmetOptions } from 'helmet';

type Middleware = (req: unknown, res: { setHeader(name: string, value: string): void; removeHeader(name: string): void }, next: (err?: unknown) => void) => void;

/** The headers helmet sets for these options, lower-cased names. */
export function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  (helmet(options) as unknown as Middleware)(
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
