// Liveness and readiness: 503 when the process cannot serve. The database must answer within a
// bound (down, or the pool exhausted or stuck), the event loop must not have stalled beyond a
// threshold, the process must not be draining (shutting down), and Redis must answer when
// REDIS_URL is configured (its outage does not stop the API, but live pushes no longer cross
// processes, so the instance is reported unhealthy and a load balancer can take it out).
import { z } from 'zod';
import { DatabaseTimeout } from '../db/database.ts';
import type { AppInstance } from '../http/types.ts';

const HealthResponse = z.object({
  status: z.enum(['ok', 'unhealthy']),
  database: z.enum(['ok', 'unavailable']),
  database_kind: z.enum(['pglite', 'postgres']),
  redis: z.enum(['ok', 'unavailable', 'not_configured']),
  version: z.string(),
  uptime_seconds: z.number(),
  checks: z.object({
    database: z.enum(['ok', 'unavailable', 'timeout']).describe('timeout: no pooled connection answered within HEALTH_DB_TIMEOUT_MS'),
    event_loop: z.enum(['ok', 'blocked']).describe('blocked: the event loop stalled beyond HEALTH_EVENT_LOOP_MAX_MS in the last 10 s'),
    event_loop_delay_ms: z.number().describe('Longest event-loop stall of the last 10 s'),
    draining: z.boolean().describe('The process is shutting down'),
  }),
  reasons: z.array(z.string()).describe('Why the instance is unhealthy; empty when ok'),
});

export async function healthRoutes(app: AppInstance) {
  app.get(
    '/api/health/',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['health'],
        summary: 'Service health; 503 when the process cannot serve: database down or no connection within a bound, event loop stalled, shutting down, or Redis (when configured) not answering',
        security: [],
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (_request, reply) => {
      const [database, redis] = await Promise.all([
        app.db
          .ping(app.config.healthDbTimeoutMs)
          .then(() => 'ok' as const)
          .catch((err: unknown) => (err instanceof DatabaseTimeout ? ('timeout' as const) : ('unavailable' as const))),
        app.hasDecorator('realtime') ? app.realtime.redisStatus() : ('not_configured' as const),
      ]);
      const delay = app.health.eventLoopDelayMs();
      const eventLoop = delay > app.health.eventLoopMaxMs ? ('blocked' as const) : ('ok' as const);
      const reasons = [
        ...(database === 'unavailable' ? ['database unavailable'] : []),
        ...(database === 'timeout' ? [`no database connection within ${app.config.healthDbTimeoutMs} ms`] : []),
        ...(redis === 'unavailable' ? ['redis unavailable'] : []),
        ...(eventLoop === 'blocked' ? [`event loop stalled ${delay} ms`] : []),
        ...(app.health.draining ? ['shutting down'] : []),
      ];
      const healthy = reasons.length === 0;
      return reply.code(healthy ? 200 : 503).send({
        status: healthy ? 'ok' : 'unhealthy',
        database: database === 'ok' ? 'ok' : 'unavailable',
        database_kind: app.db.kind,
        redis,
        version: app.appVersion,
        uptime_seconds: Math.round(process.uptime()),
        checks: { database, event_loop: eventLoop, event_loop_delay_ms: delay, draining: app.health.draining },
        reasons,
      });
    },
  );
}
