// One measured run of one route with autocannon: throughput, latency percentiles from every
// response (p50/p95/p99), errors and non-2xx answers.
import autocannon from 'autocannon';

export interface RouteRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** Called for every request: rotate ids, fresh Idempotency-Keys… `undefined` = the stock is used up. */
  next: () => RouteRequest | undefined;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
  statuses: Record<string, number>;
  seconds: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function measure(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let exhausted = false;
  const started = performance.now();
  let settle!: (r: { err: unknown; result: autocannon.Result }) => void;
  const done = new Promise<{ err: unknown; result: autocannon.Result }>((r) => (settle = r));
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
    timeout: 30,
    requests: [
      {
        setupRequest: (req) => {
          const r = exhausted ? undefined : options.next();
          if (!r) {
            // Out of stock (e.g. pending payments to verify): stop, answering the last few
            // requests with a harmless health check.
            if (!exhausted) {
              exhausted = true;
              setImmediate(() => instance.stop());
            }
            return { ...req, method: 'GET', path: '/api/health/', headers: {}, body: undefined };
          }
          return { ...req, method: r.method, path: r.path, headers: { ...(r.headers ?? {}) }, body: r.body };
        },
      },
    ],
  }, (err, result) => settle({ err, result }));
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    const key = String(statusCode);
    statuses[key] = (statuses[key] ?? 0) + 1;
  });
  const { err, result } = await done;
  if (err) throw err;
  const seconds = result.duration || (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const total = latencies.length;
  return {
    requests: total,
    rps: total / Math.max(0.001, seconds),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    statuses,
    seconds,
  };
}
