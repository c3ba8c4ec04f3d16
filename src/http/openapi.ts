// OpenAPI 3.1 generated from the routes' Zod schemas; JSON at /api/schema/, Swagger UI at /swagger/.
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export async function registerOpenApi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'PRS API',
        description: 'Payment Receiving System: organisations, sales, verification, commission and more.',
        version: '1.0.0',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'JWT access token or opaque session token' },
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Token <session token>`' },
        },
      },
      security: [{ bearer: [] }, { token: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/swagger', uiConfig: { deepLinking: true } });
  app.get('/api/schema/', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
}
