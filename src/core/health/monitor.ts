// What the process knows about its own ability to serve, beyond the database answering: whether
// it is draining (shutting down) and whether its event loop stalled recently (a blocked loop
// answers nothing, including health, so a load balancer should stop sending it work).
import type { FastifyInstance } from 'fastify';
import { serviceUnavailable } from '../http/errors.ts';

const TICK_MS = 200;
/** A stall counts against health for this long after it ended. */
const WINDOW_MS = 10_000;

export class HealthMonitor {
  private drainingSince: number | undefined;
  private lastTick = performance.now();
  /** [time, lag] of the ticks that came late within the window. */
  private lateTicks: [number, number][] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly eventLoopMaxMs: number) {}

  /**
   * Starts measuring (idempotent): once the server listens, since loading and compiling at start
   * (plugins, OpenAPI document, schemas) stall the loop for seconds without a request waiting.
   */
  start(): void {
    if (this.timer) return;
    this.lastTick = performance.now();
    this.lateTicks = [];
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const lag = now - this.lastTick - TICK_MS;
    this.lastTick = now;
    if (lag > 10) this.lateTicks.push([now, lag]);
    this.lateTicks = this.lateTicks.filter(([at]) => now - at <= WINDOW_MS);
  }

  /** The longest stall of the last ten seconds, the one in progress included (ms); 0 before start. */
  eventLoopDelayMs(): number {
    if (!this.timer) return 0;
    const now = performance.now();
    const current = Math.max(0, now - this.lastTick - TICK_MS);
    return Math.round(Math.max(current, ...this.lateTicks.filter(([at]) => now - at <= WINDOW_MS).map(([, lag]) => lag)));
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Shutting down: health answers 503 so that traffic moves elsewhere while requests drain. */
  beginDraining(): void {
    this.drainingSince ??= Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    health: HealthMonitor;
  }
}

/** One monitor per application; closing the application marks it draining and stops it. */
export function registerHealthMonitor(app: FastifyInstance, eventLoopMaxMs: number): void {
  app.decorate('health', new HealthMonitor(eventLoopMaxMs));
  // While draining, a request that still arrives (on a kept-alive connection) is answered 503 in
  // the API's error format with Retry-After, so a client or balancer retries elsewhere; health
  // itself answers, with its own 503. Replaces Fastify's bare 503 (return503OnClosing: false).
  app.addHook('onRequest', async (request, reply) => {
    if (!app.health.draining || request.routeOptions.url === '/api/health/') return;
    reply.header('connection', 'close');
    throw serviceUnavailable('The server is shutting down; retry shortly.', 1);
  });
  app.addHook('onListen', (done) => {
    app.health.start();
    done();
  });
  app.addHook('preClose', (done) => {
    app.health.beginDraining();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    app.health.stop();
    done();
  });
}
