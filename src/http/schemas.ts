/** Request and response schemas (TypeBox → JSON Schema): validation and the OpenAPI document. */
import { Type } from 'typebox';
import { AGENT_ID_PATTERN, MESSAGE_ID_PATTERN, TASK_ID_LOOKUP_PATTERN } from '../protocol/index.js';

/** Longest message or answer, in characters. Bodies are capped separately (BODY_LIMIT_BYTES). */
export const MAX_TEXT = 100_000;

// Lookups accept any plausible ID (an unknown one is 404); IDs we generate are TASK_ID_PATTERN.
export const TaskId = Type.String({
  pattern: TASK_ID_LOOKUP_PATTERN,
  description: 'A task ID as returned by assign-user-task (letters, digits, _ and -, at most 128).',
});
export const MessageId = Type.String({ pattern: MESSAGE_ID_PATTERN, description: 'Letters, digits and _.:- (1–128).' });
export const AgentId = Type.String({ pattern: AGENT_ID_PATTERN });
const Text = Type.String({ minLength: 1, maxLength: MAX_TEXT });
const Iso = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const ErrorBody = Type.Object({
  success: Type.Literal(false),
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

const TurnState = Type.Union([Type.Literal('queued'), Type.Literal('delivered'), Type.Literal('working'), Type.Literal('answered'), Type.Literal('failed'), Type.Literal('canceled')]);

export const Communication = Type.Object({
  messageId: Type.String(),
  taskId: Type.String(),
  seq: Type.Integer(),
  direction: Type.Union([Type.Literal('user'), Type.Literal('agent')]),
  agentId: Type.String(),
  response: Type.String(),
  final: Type.Boolean(),
  inReplyTo: Nullable(Type.String()),
  createdAt: Iso,
});

export const TaskView = Type.Object({
  taskId: Type.String(),
  agentId: Type.String(),
  state: TurnState,
  version: Type.Integer(),
  agentStatus: Nullable(Type.Object({ status: Type.String(), text: Nullable(Type.String()), expiresAt: Iso })),
  turns: Type.Array(
    Type.Object({
      messageId: Type.String(),
      state: TurnState,
      createdAt: Iso,
      updatedAt: Iso,
      delivery: Nullable(
        Type.Object({
          state: Type.Union([Type.Literal('queued'), Type.Literal('delivered'), Type.Literal('retrying'), Type.Literal('failed'), Type.Literal('canceled')]),
          attempts: Type.Integer(),
          nextAttemptAt: Nullable(Iso),
          lastError: Nullable(Type.String()),
        }),
      ),
    }),
  ),
  stillWaitingAfterMs: Type.Integer({ description: 'After this long without an answer the page says the agent is slow (STILL_WAITING_MS).' }),
  turnTimeoutMs: Type.Integer({ description: 'After this long without an answer the turn is marked failed (TURN_TIMEOUT_MS).' }),
  createdAt: Iso,
  updatedAt: Iso,
});

export const AssignBody = Type.Object({
  agentId: AgentId,
  message: Text,
  taskId: Type.Optional(TaskId),
  messageId: Type.Optional(MessageId),
});

export const AssignReply = Type.Object({
  success: Type.Literal(true),
  taskId: Type.String(),
  messageId: Type.String(),
  seq: Type.Integer(),
  duplicate: Type.Boolean(),
  task: TaskView,
});

export const CancelBody = Type.Object({ taskId: TaskId, messageId: Type.Optional(MessageId) });

export const WebhookBody = Type.Object({
  taskId: TaskId,
  response: Type.Optional(Text),
  messageId: Type.Optional(MessageId),
  final: Type.Optional(Type.Boolean({ default: true })),
  inReplyTo: Type.Optional(Type.Union([MessageId, Type.Null()], { description: 'The user message this answers; null or absent: the latest pending one.' })),
  status: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'e.g. "working" or "typing".' })),
  statusText: Type.Optional(Type.String({ maxLength: 500 })),
});

export const WebhookReply = Type.Object({
  success: Type.Literal(true),
  taskId: Type.String(),
  messageId: Type.Optional(Type.String()),
  seq: Type.Optional(Type.Integer()),
  duplicate: Type.Boolean(),
});

export const GetResponsesQuery = Type.Object({
  taskId: TaskId,
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Cursor: only responses with a greater seq.' })),
  wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 60, description: 'Long-poll: hold up to this many seconds.' })),
  version: Type.Optional(Type.Integer({ minimum: 0, description: 'With wait: also return when the task version differs.' })),
});

export const GetResponsesReply = Type.Object({
  success: Type.Literal(true),
  responses: Type.Array(Communication),
  taskId: Type.String(),
  cursor: Type.Integer(),
  task: TaskView,
});

export const StreamQuery = Type.Object({
  taskId: TaskId,
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
});

export const TestResponseBody = Type.Object({
  taskId: TaskId,
  testMessage: Type.Optional(Text),
});

export const AgentPublic = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  mode: Type.Union([Type.Literal('push'), Type.Literal('pull')]),
});

export const CreateAgentBody = Type.Object({
  id: Type.Optional(AgentId),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  endpointUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
});

export const UpdateAgentBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  description: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
  endpointUrl: Type.Optional(Nullable(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 }))),
});

export const AgentCredentials = Type.Object({
  success: Type.Literal(true),
  id: Type.String(),
  name: Type.String(),
  token: Type.String(),
  signingSecret: Type.String(),
});

export const AgentIdParams = Type.Object({ id: AgentId });

export const Delivery = Type.Object({
  id: Type.String(),
  taskId: Type.String(),
  agentId: Type.String(),
  messageId: Type.String(),
  eventType: Type.String(),
  mode: Type.String(),
  state: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Iso),
  lastError: Nullable(Type.String()),
  lastStatus: Nullable(Type.Integer()),
  createdAt: Iso,
  deliveredAt: Nullable(Iso),
});
