// Liveness and readiness: the database answers (and Redis, once configured).
import { z } from 'zod';
import type { AppInstance } from '../../http/types.ts';

const HealthResponse = z.object({
  status: z.enum(['ok', 'unhealthy']),
  database: z.enum(['ok', 'unavailable']),
  database_kind: z.enum(['pglite', 'postgres']),
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
        summary: 'Service health; 503 when the database does not answer',
        security: [],
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (_request, reply) => {
      const database = await app.db
        .ping()
        .then(() => 'ok' as const)
        .catch(() => 'unavailable' as const);
      const healthy = database === 'ok';
      return reply.code(healthy ? 200 : 503).send({
        status: healthy ? 'ok' : 'unhealthy',
        database,
        database_kind: app.db.kind,
        version: app.appVersion,
        uptime_seconds: Math.round(process.uptime()),
      });
    },
  );
}
