// OpenAPI 3.1 generated from the routes' Zod schemas; JSON at /api/schema/, Swagger UI at /swagger/.
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { errorResponses, withErrorResponses } from './openapi-errors.ts';

/** `GET /api/clients/{id}/`: an operation as the document names it. */
const operationKey = (method: string, url: string) => `${method.toLowerCase()} ${url.replace(/:(\w+)/g, '{$1}')}`;

export async function registerOpenApi(app: FastifyInstance) {
  // Filled route by route while the document is generated, read when it is complete.
  const errorsByOperation = new Map<string, Record<string, unknown>>();
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
    transform: (input) => {
      for (const method of [input.route.method].flat()) errorsByOperation.set(operationKey(method, input.url), errorResponses(input.route, method));
      return jsonSchemaTransform(input);
    },
    // Each operation's error answers, unless the route declares that status itself.
    transformObject: (document) =>
      'openapiObject' in document ? withErrorResponses(document.openapiObject, errorsByOperation) : document.swaggerObject,
  });
  await app.register(swaggerUi, { routePrefix: '/swagger', uiConfig: { deepLinking: true } });
  app.get('/api/schema/', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
}
