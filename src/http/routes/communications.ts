/** The spec's communications endpoints: the agent webhook, get-responses and the test endpoint. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { AppError } from '../../errors.js';
import type { RelayContext } from '../../relay/context.js';
import { readAfter, taskForReader, waitAfter } from '../../relay/readers.js';
import { acceptAgentPost } from '../../relay/responses.js';
import { authenticateAgent, checkOrigin, isAdmin, readerOf, sessionHashOf } from '../auth.js';
import { toAppError } from '../error-handler.js';
import { agentRateLimit, sessionRateLimit } from '../rate-limits.js';
import { ErrorBody, GetResponsesQuery, GetResponsesReply, TestResponseBody, WebhookBody, WebhookReply } from '../schemas.js';

const DEFAULT_TEST_MESSAGE = 'This is a test response from the backend!';

/** Aborts when the client goes away, so a long-poll stops waiting for nobody. */
function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}

export function communicationRoutes(ctx: RelayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api/communications/webhook-response',
      {
        config: { rateLimit: agentRateLimit(ctx) },
        // Every refusal is counted, including those decided before the handler runs (rate limit,
        // body size, JSON, schema), so webhook_results_total shows all of them by reason.
        onError: async (_request, _reply, error) => {
          ctx.metrics.webhookResults.inc({ outcome: `rejected_${toAppError(error).code.toLowerCase()}` });
        },
        schema: {
          tags: ['communications'],
          summary: 'Agent webhook: answer a task (or post a status)',
          description:
            'Authenticate with `Authorization: Bearer <agent token>`, or sign the raw body with Standard Webhooks ' +
            'headers (webhook-id, webhook-timestamp, webhook-signature) using the agent\'s whsec_ secret. ' +
            'The answer is durably stored before the 2xx. Repeating a messageId or webhook-id stores nothing new ' +
            'and answers 200 with duplicate: true. `final` defaults to true.',
          body: WebhookBody,
          response: { 200: WebhookReply, '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request) => {
        const body = request.body;
        if (body.response === undefined && body.status === undefined) {
          throw new AppError('VALIDATION_FAILED', 'body must have "response" (the answer) or "status".');
        }
        const { agent, webhookId } = await authenticateAgent(ctx, request, body.taskId);
        // Only schema fields reach the relay: the body must not be able to set webhookId (it comes
        // from the verified signature, or the header beside a bearer token) or anything else AgentPost gains later.
        const { taskId, response, messageId, final, inReplyTo, status, statusText } = body;
        const post = { taskId, response, messageId, final, inReplyTo: inReplyTo ?? undefined, status, statusText, webhookId };
        const result = await acceptAgentPost(ctx, agent, post);
        return { success: true as const, ...result };
      },
    );

    app.get(
      '/api/communications/get-responses',
      {
        config: { rateLimit: sessionRateLimit(ctx) },
        schema: {
          tags: ['communications'],
          summary: 'Get the agent responses of a task',
          description:
            'Responses come oldest first; with `after`, only those newer than that cursor. Only the browser session ' +
            'that created the task (or its agent, or the admin) may read it; anyone else gets 404. ' +
            'With `wait` (seconds), long-polls until something newer arrives.',
          querystring: GetResponsesQuery,
          response: { 200: GetResponsesReply, '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request, reply) => {
        const { taskId, after = 0, wait, version } = request.query;
        await taskForReader(ctx, taskId, await readerOf(ctx, request));
        const result =
          wait !== undefined && wait > 0
            ? await waitAfter(ctx, taskId, after, wait * 1000, {
                signal: disconnectSignal(reply),
                ...(version === undefined ? {} : { version }),
              })
            : await readAfter(ctx, taskId, after);
        reply.header('cache-control', 'no-store');
        return { success: true as const, taskId, ...result };
      },
    );

    app.post(
      '/api/communications/test-response',
      {
        config: { rateLimit: sessionRateLimit(ctx) },
        schema: {
          tags: ['communications'],
          summary: 'Simulate an agent answer (test endpoint)',
          description:
            'Stores an answer through the same path as the webhook. Answers 404 unless ENABLE_TEST_ENDPOINT or DEMO ' +
            'is on, or the admin token is sent. Without the admin token, only the session that owns the task may use it.',
          body: TestResponseBody,
          response: { 200: WebhookReply, '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request) => {
        const admin = isAdmin(ctx, request);
        if (!admin && !ctx.config.enableTestEndpoint && !ctx.config.demo) {
          throw new AppError('NOT_FOUND', 'The test endpoint is disabled (set ENABLE_TEST_ENDPOINT=1).');
        }
        if (!admin) checkOrigin(ctx, request);
        const { taskId, testMessage } = request.body;
        const task = await taskForReader(ctx, taskId, admin ? { kind: 'admin' } : { kind: 'session', sessionHash: sessionHashOf(request) });
        const agent = await ctx.store.getAgent(task.agentId);
        if (agent === null) throw new AppError('AGENT_NOT_FOUND');
        const result = await acceptAgentPost(ctx, agent, { taskId, response: testMessage ?? DEFAULT_TEST_MESSAGE });
        return { success: true as const, ...result };
      },
    );
  };
}
