/** Pull mode for agents without a public URL: long-poll for tasks, then acknowledge each. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { acknowledge, pullTasks } from '../../delivery/pull.js';
import { AppError } from '../../errors.js';
import { agentByToken } from '../../relay/agents.js';
import type { RelayContext } from '../../relay/context.js';
import { bearerToken } from '../auth.js';
import { agentRateLimit } from '../rate-limits.js';
import { ErrorBody } from '../schemas.js';
import type { FastifyRequest } from 'fastify';

async function agentOf(ctx: RelayContext, request: FastifyRequest) {
  const token = bearerToken(request);
  const agent = token === null ? null : await agentByToken(ctx, token);
  if (agent === null) throw new AppError('UNAUTHENTICATED', 'Send Authorization: Bearer <agent token>.');
  return agent;
}

const PulledTask = Type.Object({
  deliveryId: Type.String(),
  attempt: Type.Integer(),
  leaseExpiresAt: Type.String({ format: 'date-time' }),
  event: Type.Object({}, { additionalProperties: true, description: 'The task.message or task.canceled webhook body.' }),
});

export function pullRoutes(ctx: RelayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/agent/tasks',
      {
        config: { rateLimit: agentRateLimit(ctx) },
        schema: {
          tags: ['pull mode'],
          summary: 'Long-poll for the agent\'s next tasks (pull mode)',
          description:
            'Authenticated by the agent token. Holds up to `wait` seconds (max 30) until tasks are due, then returns ' +
            'them under a lease (PULL_LEASE_MS). Acknowledge each; an unacknowledged task is offered again after its lease.',
          security: [{ agentToken: [] }],
          querystring: Type.Object({
            wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 30, default: 30 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          }),
          response: { 200: Type.Object({ success: Type.Literal(true), tasks: Type.Array(PulledTask) }), '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request, reply) => {
        const agent = await agentOf(ctx, request);
        const controller = new AbortController();
        reply.raw.once('close', () => controller.abort());
        const tasks = await pullTasks(ctx, agent, {
          waitMs: (request.query.wait ?? 30) * 1000,
          limit: request.query.limit ?? 10,
          signal: controller.signal,
        });
        return { success: true as const, tasks };
      },
    );

    app.post(
      '/api/agent/tasks/:deliveryId/ack',
      {
        config: { rateLimit: agentRateLimit(ctx) },
        schema: {
          tags: ['pull mode'],
          summary: 'Acknowledge a pulled task',
          security: [{ agentToken: [] }],
          params: Type.Object({ deliveryId: Type.String({ pattern: '^dlv_[0-9]{13}_[0-9a-f]{32}$' }) }),
          response: { 200: Type.Object({ success: Type.Literal(true) }), '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request) => {
        const agent = await agentOf(ctx, request);
        await acknowledge(ctx, agent, request.params.deliveryId);
        return { success: true as const };
      },
    );
  };
}
