// Liveness and readiness: the database answers, and Redis when REDIS_URL is configured (its
// outage does not stop the API, but live pushes no longer cross processes, so the instance is
// reported unhealthy and a load balancer can take it out).
import { z } from 'zod';
import type { AppInstance } from '../../http/types.ts';

const HealthResponse = z.object({
  status: z.enum(['ok', 'unhealthy']),
  database: z.enum(['ok', 'unavailable']),
  database_kind: z.enum(['pglite', 'postgres']),
  redis: z.enum(['ok', 'unavailable', 'not_configured']),
  version: z.string(),
  uptime_seconds: z.number(),
});

export async function healthRoutes(app: AppInstance) {
  app.get(
    '/api/health/',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['health'],
        summary: 'Service health; 503 when the database, or Redis when configured, does not answer',
        security: [],
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (_request, reply) => {
      const [database, redis] = await Promise.all([
        app.db
          .ping()
          .then(() => 'ok' as const)
          .catch(() => 'unavailable' as const),
        app.hasDecorator('realtime') ? app.realtime.redisStatus() : ('not_configured' as const),
      ]);
      const healthy = database === 'ok' && redis !== 'unavailable';
      return reply.code(healthy ? 200 : 503).send({
        status: healthy ? 'ok' : 'unhealthy',
        database,
        database_kind: app.db.kind,
        redis,
        version: app.appVersion,
        uptime_seconds: Math.round(process.uptime()),
      });
    },
  );
}
