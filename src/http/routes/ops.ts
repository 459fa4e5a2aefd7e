/** Operations: liveness, readiness and Prometheus metrics. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { RelayContext } from '../../relay/context.js';

export interface Lifecycle {
  /** True once shutdown has begun: readiness fails so a load balancer drains this instance. */
  shuttingDown: boolean;
}

export function opsRoutes(ctx: RelayContext, lifecycle: Lifecycle): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      { schema: { tags: ['ops'], summary: 'Liveness: the process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['ops'],
          summary: 'Readiness: the database answers and the server is not shutting down',
          response: {
            200: Type.Object({ status: Type.Literal('ready'), database: Type.String() }),
            503: Type.Object({ status: Type.Literal('not_ready'), reason: Type.String() }),
          },
        },
      },
      async (_request, reply) => {
        if (lifecycle.shuttingDown) return reply.status(503).send({ status: 'not_ready' as const, reason: 'shutting down' });
        try {
          await ctx.store.ping();
          return { status: 'ready' as const, database: ctx.store.dialect };
        } catch {
          reply.header('retry-after', '5');
          return reply.status(503).send({ status: 'not_ready' as const, reason: 'database unreachable' });
        }
      },
    );

    app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
      reply.header('content-type', ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    });
  };
}
