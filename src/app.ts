// Builds the PRS application from a validated configuration and an open database. No listen():
// tests call inject(), server.ts listens.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import cors from '@fastify/cors';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './core/config.ts';
import type { Database } from './core/db/database.ts';
import { registerErrorHandling } from './core/http/errors.ts';
import { registerMetrics } from './core/http/metrics.ts';
import { registerOpenApi } from './core/http/openapi.ts';
import { securityHeaders } from './core/http/security-headers.ts';
import { parseQueryString } from './core/http/query-string.ts';
import { serializerCompiler, validatorCompiler } from './core/http/schema-compilers.ts';
import type { AppInstance } from './core/http/types.ts';
import { registerAuthentication } from './core/http/auth.ts';
import { registerMultipart } from './core/http/multipart.ts';
import { parseJsonBody, registerInputGuards } from './core/http/input-guards.ts';
import { LocalFileStorage, type FileStorage } from './core/files/storage.ts';
import { S3FileStorage } from './core/files/s3-storage.ts';
import { mediaRoutes } from './core/files/routes.ts';
import { registerHealthMonitor } from './core/health/monitor.ts';
import { UrlSigner } from './core/files/signed-urls.ts';
import { accessRoutes } from './core/access/routes.ts';
import { auditRoutes } from './core/audit/routes.ts';
import { authRoutes } from './core/auth/routes.ts';
import { clientRoutes } from './sales/clients/routes.ts';
import { createAuthKit, type AuthKit } from './core/auth/kit.ts';
import { healthRoutes } from './core/health/routes.ts';
import { organizationRoutes } from './core/organizations/routes.ts';
import { organizationMemberRoutes } from './core/organizations/members-routes.ts';
import { membershipRoutes } from './core/memberships/routes.ts';
import { projectRoutes } from './sales/projects/routes.ts';
import { teamRoutes } from './sales/teams/routes.ts';
import { userRoutes } from './core/users/routes.ts';
import { dealRoutes } from './sales/deals/routes.ts';
import { paymentRoutes } from './sales/payments/routes.ts';
import { verificationRoutes } from './sales/verification/routes.ts';
import { invoiceRoutes } from './sales/invoices/routes.ts';
import { dashboardRoutes } from './sales/dashboard/routes.ts';
import { orgAdminDashboardRoutes } from './sales/dashboard/org-admin-routes.ts';
import { commissionRoutes } from './sales/commission/routes.ts';
import { streakRoutes } from './sales/streaks/routes.ts';
import { notificationsModule } from './core/notifications/module.ts';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const REQUEST_ID_RE = /^[\w.:-]{8,128}$/;
const SECURITY_HEADERS = securityHeaders({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      scriptSrc: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'cross-origin' },
});

export interface BuildOptions {
  config: Config;
  db: Database;
  /** Extra routes (tests register failure probes here). */
  plugins?: ((app: AppInstance) => Promise<void>)[];
  logger?: boolean;
  /** Shared login counters etc.; tests pass their own to inspect or reset them. */
  authKit?: AuthKit;
  files?: FileStorage;
}

export async function buildApp({ config, db, plugins = [], logger = true, authKit, files }: BuildOptions): Promise<AppInstance> {
  const app = Fastify({
    logger: logger
      ? {
          level: config.logLevel,
          redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'], censor: '[redacted]' },
        }
      : false,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 200, querystringParser: parseQueryString },
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    // Requests that arrive while closing get the API's 503 (src/core/health/monitor.ts).
    return503OnClosing: false,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();

  // The web client sends Content-Type: application/json on every request, bodiless GET and
  // DELETE included: an empty JSON body means "no body", not a parse error.
  // Strict UTF-8, no prototype keys, NULs, depth or size beyond the limits (src/core/http/input-guards.ts).
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let value: unknown;
    try {
      value = parseJsonBody(body as Buffer);
    } catch (err) {
      return done(err as Error, undefined);
    }
    done(null, value);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('config', config);
  app.decorate('db', db);
  app.decorate('appVersion', VERSION);
  app.decorate('files', files ?? (config.s3 ? new S3FileStorage(config.s3) : new LocalFileStorage(`${config.dataDir}/media`)));
  app.decorate('urlSigner', new UrlSigner(config.secretKey));
  registerHealthMonitor(app, config.healthEventLoopMaxMs);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id).headers(SECURITY_HEADERS);
    done();
  });

  registerErrorHandling(app, { exposeStack: !config.isProduction });
  await app.register(cors, {
    // The web client runs on another origin: allow it (or every origin in development when
    // none is configured), with the headers and methods it uses, on error responses too.
    origin: config.corsOrigins.length ? config.corsOrigins : !config.isProduction,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Organization-Id', 'X-Request-Id'],
    exposedHeaders: ['Retry-After', 'X-Request-Id', 'ETag', 'Allow'],
    credentials: true,
    maxAge: 600,
  });
  registerMetrics(app);
  await registerOpenApi(app);

  const kit = authKit ?? createAuthKit(config, undefined, (message, err) => app.log.warn({ err }, message));
  registerAuthentication(app, kit.jwt);
  await registerMultipart(app);
  registerInputGuards(app);
  await app.register(mediaRoutes);
  await app.register(healthRoutes);
  await app.register(authRoutes(kit));
  await app.register(userRoutes);
  await app.register(accessRoutes);
  await app.register(organizationRoutes(kit));
  await app.register(organizationMemberRoutes);
  await app.register(membershipRoutes);
  await app.register(auditRoutes);
  await app.register(clientRoutes);
  await app.register(teamRoutes);
  await app.register(projectRoutes);
  await app.register(dealRoutes);
  await app.register(paymentRoutes);
  await app.register(verificationRoutes);
  await app.register(invoiceRoutes);
  await app.register(dashboardRoutes);
  await app.register(orgAdminDashboardRoutes);
  await app.register(commissionRoutes);
  await app.register(streakRoutes);
  await app.register(notificationsModule);
  for (const plugin of plugins) await app.register(plugin);
  return app;
}
