// The notifications module as one plugin, registered at the application's root so that its
// services are reachable everywhere: the live hub and its publisher (in-process, or Redis
// pub/sub with REDIS_URL), the mailer (SMTP when configured), the job runner (started by
// server.ts, or by tests), the WebSocket route and the REST routes.
import fp from 'fastify-plugin';
import websocket from '@fastify/websocket';
import type { Actor } from '../http/auth.ts';
import type { AppInstance } from '../http/types.ts';
import { JobRunner } from '../jobs/runner.ts';
import { createMailer, type Mailer } from '../mail/mailer.ts';
import '../mail/delivery.ts';
import { Hub, LocalPublisher, type Publisher, type RealtimeEvent } from '../realtime/hub.ts';
import { notificationAdminRoutes } from './admin-routes.ts';
import '../files/sweep.ts'; // the orphan-upload sweep runs on this module's job runner
import { notificationRoutes } from './routes.ts';
import { socketRoutes } from './socket.ts';

export interface Realtime {
  /** Sockets of this process. */
  hub: Hub;
  /** Sends an event to the recipient's sockets in every process. */
  publish(event: RealtimeEvent): Promise<void>;
  /** Redis, for GET /api/health/: `not_configured` without REDIS_URL. */
  redisStatus(): Promise<'ok' | 'unavailable' | 'not_configured'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolves an access JWT or session token like the Authorization header (src/core/http/auth.ts). */
    resolveActor(token: string): Promise<Actor | null>;
    realtime: Realtime;
    mailer: Mailer | undefined;
    jobRunner: JobRunner;
  }
}

async function notifications(app: AppInstance) {
  const hub = new Hub();
  const redis = app.config.redisUrl
    ? // Loaded only with Redis configured: ioredis stays out of processes that do not use it.
      await (await import('../realtime/redis.ts')).RedisPublisher.connect(app.config.redisUrl, hub, (err) => app.log.warn({ err: { message: err.message } }, 'redis error'))
    : undefined;
  const publisher: Publisher = redis ?? new LocalPublisher(hub);
  app.decorate('realtime', {
    hub,
    publish: async (event: RealtimeEvent) => {
      try {
        await publisher.publish(event);
      } catch (err) {
        // The notification is stored: the recipient receives it on the next connect.
        app.log.warn({ err: { message: (err as Error).message } }, 'live publish failed');
      }
    },
    redisStatus: async () => {
      if (!redis) return 'not_configured';
      return redis.ping().then(
        () => 'ok' as const,
        () => 'unavailable' as const,
      );
    },
  });
  const mailer = createMailer(app.config);
  app.decorate('mailer', mailer);
  app.decorate('jobRunner', new JobRunner(app, { pollIntervalMs: app.config.jobPollIntervalMs }));
  app.addHook('onClose', async () => {
    await app.jobRunner.stop();
    await publisher.close();
    mailer?.close();
  });

  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(socketRoutes);
  await app.register(notificationRoutes);
  await app.register(notificationAdminRoutes);
}

export const notificationsModule = fp(notifications, { name: 'prs-notifications', fastify: '5.x' });
