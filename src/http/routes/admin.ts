/** Operator API (ADMIN_TOKEN): list deliveries with their attempts and errors, replay dead letters. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { replayDelivery } from '../../delivery/replay.js';
import type { RelayContext } from '../../relay/context.js';
import type { DeliveryRecord } from '../../store/records.js';
import { requireAdmin } from '../auth.js';
import { Delivery, ErrorBody } from '../schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function deliveryJson(d: DeliveryRecord) {
  return {
    id: d.id,
    taskId: d.taskId,
    agentId: d.agentId,
    messageId: d.messageId,
    eventType: d.eventType,
    mode: d.mode,
    state: d.state === 'pending' && d.attempts > 0 ? 'retrying' : d.state,
    attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? iso(d.nextAttemptAt) : null,
    lastError: d.lastError,
    lastStatus: d.lastStatus,
    createdAt: new Date(d.createdAt).toISOString(),
    deliveredAt: iso(d.deliveredAt),
  };
}

export function adminRoutes(ctx: RelayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/admin/deliveries',
      {
        schema: {
          tags: ['admin'],
          summary: 'List deliveries, newest first (admin)',
          security: [{ adminToken: [] }],
          querystring: Type.Object({
            state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('canceled')])),
            agentId: Type.Optional(Type.String({ maxLength: 64 })),
            taskId: Type.Optional(Type.String({ maxLength: 64 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          }),
          response: { 200: Type.Object({ success: Type.Literal(true), deliveries: Type.Array(Delivery) }), '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request) => {
        requireAdmin(ctx, request);
        const { state, agentId, taskId, limit = 100 } = request.query;
        const rows = await ctx.store.listDeliveries({
          limit,
          ...(state === undefined ? {} : { state }),
          ...(agentId === undefined ? {} : { agentId }),
          ...(taskId === undefined ? {} : { taskId }),
        });
        return { success: true as const, deliveries: rows.map(deliveryJson) };
      },
    );

    app.post(
      '/api/admin/deliveries/:id/replay',
      {
        schema: {
          tags: ['admin'],
          summary: 'Replay a dead-lettered delivery (admin)',
          security: [{ adminToken: [] }],
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: Type.Object({ success: Type.Literal(true) }), '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request) => {
        requireAdmin(ctx, request);
        await replayDelivery(ctx, request.params.id);
        return { success: true as const };
      },
    );
  };
}
