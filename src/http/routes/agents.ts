/** Agents: the public list for the chat page, and admin-only registration and rotation. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { createAgent, rotateAgentCredentials } from '../../relay/agents.js';
import type { RelayContext } from '../../relay/context.js';
import { agentPublicView } from '../../relay/views.js';
import { ensureSession, requireAdmin } from '../auth.js';
import { sessionRateLimit } from '../rate-limits.js';
import { AgentCredentials, AgentIdParams, AgentPublic, CreateAgentBody, ErrorBody, UpdateAgentBody } from '../schemas.js';

const admin = { security: [{ adminToken: [] }] };

export function agentRoutes(ctx: RelayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/agents',
      {
        // A page endpoint like the others; a first visit has no cookie yet and counts per IP.
        config: { rateLimit: sessionRateLimit(ctx) },
        schema: {
          tags: ['agents'],
          summary: 'List agents (public fields only)',
          description: 'Also starts the browser session (cookie) if there is none, so a first message can be retried safely.',
          response: { 200: Type.Object({ success: Type.Literal(true), agents: Type.Array(AgentPublic) }), '4xx': ErrorBody },
        },
      },
      async (request, reply) => {
        ensureSession(ctx, request, reply);
        return { success: true as const, agents: (await ctx.store.listAgents()).map(agentPublicView) };
      },
    );

    app.post(
      '/api/agents',
      {
        schema: {
          ...admin,
          tags: ['agents'],
          summary: 'Register an agent (admin)',
          description:
            'With endpointUrl, tasks are POSTed there (push); without, the agent pulls them. ' +
            'The token and signing secret are shown only in this answer.',
          body: CreateAgentBody,
          response: { 201: AgentCredentials, '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request, reply) => {
        requireAdmin(ctx, request);
        return reply.status(201).send(await createAgent(ctx, request.body));
      },
    );

    app.patch(
      '/api/agents/:id',
      {
        schema: {
          ...admin,
          tags: ['agents'],
          summary: 'Change an agent (admin); setting endpointUrl re-enables a disabled endpoint',
          params: AgentIdParams,
          body: UpdateAgentBody,
          response: { 200: Type.Object({ success: Type.Literal(true), agent: AgentPublic }), '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request) => {
        requireAdmin(ctx, request);
        const agent = await ctx.store.getAgent(request.params.id);
        if (agent === null) throw new AppError('AGENT_NOT_FOUND');
        const { name, description, endpointUrl } = request.body;
        await ctx.store.updateAgent(agent.id, {
          ...(name === undefined ? {} : { name }),
          ...(description === undefined ? {} : { description }),
          ...(endpointUrl === undefined ? {} : { endpointUrl, endpointDisabledAt: null }),
          updatedAt: ctx.now(),
        });
        const updated = await ctx.store.getAgent(agent.id);
        if (updated === null) throw new AppError('AGENT_NOT_FOUND');
        return { success: true as const, agent: agentPublicView(updated) };
      },
    );

    app.post(
      '/api/agents/:id/rotate',
      {
        schema: {
          ...admin,
          tags: ['agents'],
          summary: 'Rotate an agent\'s token and signing secret (admin)',
          description: 'The previous credentials stay valid for graceSeconds (default 86400; 0 revokes them at once).',
          params: AgentIdParams,
          querystring: Type.Object({ graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400 })) }),
          response: { 200: AgentCredentials, '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request) => {
        requireAdmin(ctx, request);
        const grace = request.query.graceSeconds;
        return rotateAgentCredentials(ctx, request.params.id, grace === undefined ? undefined : grace * 1000);
      },
    );
  };
}
