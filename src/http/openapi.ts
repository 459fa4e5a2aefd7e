/** The OpenAPI document, generated from the route schemas, at /openapi.json and rendered at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { DOCS_CSP } from './security.js';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Webhook Chat API',
        version: '0.1.0',
        description:
          'People chat with asynchronous agents. A user message becomes a task delivered to the agent as a signed ' +
          'webhook (Standard Webhooks); the agent answers by calling webhook-response with the task ID.',
      },
      components: {
        securitySchemes: {
          agentToken: { type: 'http', scheme: 'bearer', description: 'The agent token returned when the agent was created.' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN.' },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: false,
    uiHooks: {
      onRequest: (_request, reply, next) => {
        reply.header('content-security-policy', DOCS_CSP);
        next();
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
