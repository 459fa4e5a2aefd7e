/** The person's side: send a message (opening a turn) and cancel the pending turn. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RelayContext } from '../../relay/context.js';
import { assignUserMessage, cancelTurn } from '../../relay/tasks.js';
import { checkOrigin, ensureSession, sessionHashOf } from '../auth.js';
import { AppError } from '../../errors.js';
import { AssignBody, AssignReply, CancelBody, ErrorBody, TaskView } from '../schemas.js';
import { Type } from 'typebox';
import { sessionRateLimit } from '../rate-limits.js';

export function taskRoutes(ctx: RelayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api/tasks/assign-user-task',
      {
        config: { rateLimit: sessionRateLimit(ctx) },
        schema: {
          tags: ['tasks'],
          summary: 'Send a user message to an agent as a task',
          description:
            'Without taskId, creates a task (its ID is returned) bound to the caller\'s browser session. ' +
            'The message is stored and queued for delivery to the agent in one transaction. ' +
            'A repeated messageId stores nothing new and answers 200 with duplicate: true.',
          body: AssignBody,
          response: { 200: AssignReply, 201: AssignReply, '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request, reply) => {
        checkOrigin(ctx, request);
        const sessionHash = ensureSession(ctx, request, reply);
        const result = await assignUserMessage(ctx, { ...request.body, sessionHash });
        return reply.status(result.duplicate ? 200 : 201).send({ success: true, ...result });
      },
    );

    app.post(
      '/api/tasks/cancel',
      {
        config: { rateLimit: sessionRateLimit(ctx) },
        schema: {
          tags: ['tasks'],
          summary: 'Cancel the pending turn of a task',
          description: 'A later answer from the agent to that turn is refused with 409 TURN_CANCELED.',
          body: CancelBody,
          response: { 200: Type.Object({ success: Type.Literal(true), task: TaskView }), '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request) => {
        checkOrigin(ctx, request);
        const sessionHash = sessionHashOf(request);
        if (sessionHash === null) throw new AppError('TASK_NOT_FOUND');
        const task = await cancelTurn(ctx, { ...request.body, sessionHash });
        return { success: true as const, task };
      },
    );
  };
}
