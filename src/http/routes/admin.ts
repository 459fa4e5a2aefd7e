/**
 * Operator API (ADMIN_TOKEN): list tasks, list deliveries with their attempts and errors, replay
 * dead letters.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { replayDelivery } from '../../delivery/replay.js';
import type { RelayContext } from '../../relay/context.js';
import { deliveryView } from '../../relay/views.js';
import type { DeliveryRecord, TaskSummaryRecord } from '../../store/records.js';
import { requireAdmin } from '../auth.js';
import { AgentId, Delivery, ErrorBody, TaskId } from '../schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export type AdminDeliveryState = 'queued' | 'retrying' | 'delivered' | 'failed' | 'canceled';

/**
 * The same rule as the chat page's (a pulled task counts an attempt when it is handed out, so only
 * a second hand-out is a retry).
 */
export function adminDeliveryState(d: DeliveryRecord): AdminDeliveryState {
  return deliveryView(d).state;
}

function deliveryJson(d: DeliveryRecord) {
  return {
    id: d.id,
    taskId: d.taskId,
    agentId: d.agentId,
    messageId: d.messageId,
    eventType: d.eventType,
    mode: d.mode,
    state: adminDeliveryState(d),
    attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? iso(d.nextAttemptAt) : null,
    lastError: d.lastError,
    lastStatus: d.lastStatus,
    createdAt: new Date(d.createdAt).toISOString(),
    deliveredAt: iso(d.deliveredAt),
  };
}

const TurnState = Type.Union([
  Type.Literal('queued'), Type.Literal('delivered'), Type.Literal('working'),
  Type.Literal('answered'), Type.Literal('failed'), Type.Literal('canceled'),
]);

const AdminTask = Type.Object({
  id: Type.String(),
  agentId: Type.String(),
  state: TurnState,
  turnCount: Type.Integer({ description: 'User messages, each opening a turn.' }),
  lastSeq: Type.Integer({ description: 'Communications in the task, user and agent.' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastActivityAt: Type.String({ format: 'date-time', description: 'The last change: a message, a delivery outcome, a status.' }),
});

function taskJson(t: TaskSummaryRecord) {
  return {
    id: t.id,
    agentId: t.agentId,
    state: t.state,
    turnCount: t.turnCount,
    lastSeq: t.lastSeq,
    createdAt: new Date(t.createdAt).toISOString(),
    lastActivityAt: new Date(t.updatedAt).toISOString(),
  };
}

const adminSchema = { tags: ['admin'], security: [{ adminToken: [] }] };

export function adminRoutes(ctx: RelayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/admin/tasks',
      {
        schema: {
          ...adminSchema,
          summary: 'List tasks, newest first (admin)',
          description: 'Pages by keyset: pass `nextBefore` of one page as `before` to get the next; it is null on the last page.',
          querystring: Type.Object({
            state: Type.Optional(TurnState),
            agentId: Type.Optional(AgentId),
            before: Type.Optional(TaskId),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          }),
          response: {
            200: Type.Object({ success: Type.Literal(true), tasks: Type.Array(AdminTask), nextBefore: Type.Union([Type.String(), Type.Null()]) }),
            '4xx': ErrorBody,
            '5xx': ErrorBody,
          },
        },
      },
      async (request) => {
        requireAdmin(ctx, request);
        const { state, agentId, before, limit = 50 } = request.query;
        // One row more than asked tells whether another page follows.
        const rows = await ctx.store.listTasks({
          limit: limit + 1,
          ...(state === undefined ? {} : { state }),
          ...(agentId === undefined ? {} : { agentId }),
          ...(before === undefined ? {} : { before }),
        });
        const page = rows.slice(0, limit);
        return { success: true as const, tasks: page.map(taskJson), nextBefore: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
      },
    );

    app.get(
      '/api/admin/deliveries',
      {
        schema: {
          ...adminSchema,
          summary: 'List deliveries, newest first (admin)',
          description:
            'Each delivery is queued, retrying, delivered, failed (dead-lettered) or canceled. The `state` filter takes the ' +
            'stored states: `pending` matches both queued and retrying.',
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
          ...adminSchema,
          summary: 'Replay a dead-lettered delivery (admin)',
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
