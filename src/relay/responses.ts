/**
 * An agent's side of a task: accept an answer (idempotently) and/or a transient status.
 * Everything is decided and written in one transaction; the wake-up goes out after the commit.
 */
import { createHash } from 'node:crypto';
import { MESSAGE_ID_PATTERN, type TurnState } from '../protocol/index.js';
import { AppError } from '../errors.js';
import { taskTopic } from '../events/broker.js';
import type { AgentRecord, CommunicationRecord, TaskPatch, TaskRecord } from '../store/records.js';
import { UniqueViolationError } from '../store/store-errors.js';
import type { AnswerContext, StoreTx } from '../store/store.js';
import type { RelayContext } from './context.js';
import { answerHint } from './answer-hint.js';
import { newMessageId } from './ids.js';
import { isPending } from './tasks.js';

export interface AgentPost {
  taskId: string;
  response?: string;
  messageId?: string;
  final?: boolean;
  inReplyTo?: string;
  status?: string;
  statusText?: string;
  /** The request's `webhook-id` (signed, or beside a bearer token): its idempotency key. */
  webhookId?: string;
}

export interface AcceptResult {
  taskId: string;
  messageId?: string;
  seq?: number;
  duplicate: boolean;
}

/** The user turns an answer is placed against: the newest one, and the newest still pending. */
type LatestTurns = Pick<AnswerContext, 'latest' | 'pending'>;

/** Which user turn an answer belongs to; null for a proactive message. */
async function turnFor(tx: StoreTx, taskId: string, inReplyTo: string | undefined, turns: LatestTurns): Promise<CommunicationRecord | null> {
  if (inReplyTo !== undefined) {
    const turn = await tx.getCommunication(taskId, inReplyTo);
    if (turn === null || turn.direction !== 'user') {
      throw new AppError('MESSAGE_NOT_FOUND', `inReplyTo "${inReplyTo}" is not a user message of this task.`);
    }
    if (turn.turnState === 'canceled') throw new AppError('TURN_CANCELED');
    return turn;
  }
  if (turns.pending) return turns.pending;
  // No pending turn: a late answer to a canceled one is refused; otherwise it is proactive.
  if (turns.latest?.turnState === 'canceled') throw new AppError('TURN_CANCELED');
  return null;
}

const MESSAGE_ID = new RegExp(MESSAGE_ID_PATTERN);

/**
 * The message ID of an answer identified only by its webhook-id. A webhook-id may be up to 256
 * characters of anything, and a message ID may not, so one that does not fit is hashed: cutting it
 * short would make two different webhook-ids with a common prefix the same answer. The two shapes
 * (`wh_…` and `whh_…`) cannot collide.
 */
export function messageIdForWebhookId(webhookId: string): string {
  const plain = `wh_${webhookId}`;
  if (MESSAGE_ID.test(plain)) return plain;
  return `whh_${createHash('sha256').update(webhookId).digest('base64url')}`;
}

/** The stored answer this post repeats, if any; refuses a messageId or webhook-id that is not its to reuse. */
function findDuplicate(post: AgentPost, { byMessageId, byWebhookId }: AnswerContext): CommunicationRecord | null {
  if (byMessageId) {
    if (byMessageId.direction !== 'agent') throw new AppError('MESSAGE_ID_CONFLICT', 'That messageId belongs to a user message.');
    return byMessageId;
  }
  // The agent's webhook-ids are unique across its tasks: the same one on another task is not a
  // retry of this answer, and storing it there would lose this one.
  if (byWebhookId && byWebhookId.taskId !== post.taskId) {
    throw new AppError('WEBHOOK_ID_CONFLICT', 'That webhook-id was already used for an answer to another task; send a new one.');
  }
  return byWebhookId;
}

export async function acceptAgentPost(ctx: RelayContext, agent: AgentRecord, post: AgentPost): Promise<AcceptResult> {
  let outcome: Stored;
  try {
    outcome = await storeAgentPost(ctx, agent, post);
  } catch (error) {
    // Two tasks' transactions lock different rows, so the same webhook-id sent to both at once
    // can pass both look-ups; the unique key then refuses the later insert. Deciding again sees the
    // committed row and answers as for a sequential repeat.
    if (!(error instanceof UniqueViolationError)) throw error;
    outcome = await storeAgentPost(ctx, agent, post);
  }
  const { answer, ...result } = outcome;
  // The wake-up carries the answer, so a stream waiting for exactly it can send it without a read.
  // (Made only if a broker has a use for it: often nobody is reading the task.)
  if (!result.duplicate) void ctx.broker.publish(taskTopic(result.taskId), answer ? () => answerHint(answer) : undefined);
  ctx.metrics.webhookResults.inc({ outcome: result.duplicate ? 'duplicate' : 'stored' });
  return result;
}

/** The result, and the answer row when one was stored. */
type Stored = AcceptResult & { answer?: CommunicationRecord };

function storeAgentPost(ctx: RelayContext, agent: AgentRecord, post: AgentPost): Promise<Stored> {
  return ctx.store.transaction(async (tx): Promise<Stored> => {
    const now = ctx.now();
    const patch: TaskPatch = { updatedAt: now };

    if (post.response !== undefined) {
      const messageId = post.messageId ?? (post.webhookId ? messageIdForWebhookId(post.webhookId) : newMessageId());
      // The task's row is locked first and an answer is not a turn, so what this reads holds for the whole transaction.
      const { task: locked, context: turns } = await tx.lockTaskForAnswer(post.taskId, messageId, agent.id, post.webhookId ?? null);
      const task = checkTask(locked, agent);
      const duplicate = findDuplicate(post, turns);
      if (duplicate) return { taskId: task.id, messageId: duplicate.messageId, seq: duplicate.seq, duplicate: true };
      const turn = await turnFor(tx, task.id, post.inReplyTo, turns);
      const final = post.final ?? true;
      const seq = task.lastSeq + 1;
      patch.lastSeq = seq;
      const state: TurnState = final ? 'answered' : 'working';
      if (turn && turns.latest?.messageId === turn.messageId) patch.state = state;
      // A final answer ends any "working…" indicator.
      if (final && post.status === undefined) Object.assign(patch, { status: null, statusText: null, statusExpiresAt: null });
      if (post.status !== undefined) Object.assign(patch, statusPatch(ctx, post, now));
      const answer: CommunicationRecord = {
        taskId: task.id,
        seq,
        messageId,
        direction: 'agent',
        agentId: agent.id,
        response: post.response,
        final,
        inReplyTo: turn?.messageId ?? null,
        webhookId: post.webhookId ?? null,
        turnState: null,
        turnUpdatedAt: null,
        createdAt: now,
      };
      await tx.appendMessage(answer, patch, turn ? { messageId: turn.messageId, state, at: now } : undefined);
      return { taskId: task.id, messageId, seq, duplicate: false, answer };
    }

    // A status alone: the pending turn is now being worked on.
    const task = checkTask(await tx.getTaskForUpdate(post.taskId), agent);
    Object.assign(patch, statusPatch(ctx, post, now));
    const { pending, latest } = await tx.latestTurns(task.id);
    if (pending && pending.turnState !== 'working' && isPending(pending.turnState)) {
      await tx.setTurnState(task.id, pending.messageId, 'working', now);
      if (latest?.messageId === pending.messageId) patch.state = 'working';
    }
    await tx.updateTask(task.id, patch);
    return { taskId: task.id, duplicate: false };
  });
}

/** The task the agent may post to: it exists and is the agent's. */
function checkTask(task: TaskRecord | null, agent: AgentRecord): TaskRecord {
  if (task === null) throw new AppError('TASK_NOT_FOUND');
  if (task.agentId !== agent.id) throw new AppError('FORBIDDEN', 'This task belongs to another agent.');
  return task;
}

/** The task fields a posted status sets; it expires by itself after STATUS_TTL_MS unless refreshed. */
function statusPatch(ctx: RelayContext, post: AgentPost, now: number): Pick<TaskPatch, 'status' | 'statusText' | 'statusExpiresAt'> {
  return { status: post.status ?? null, statusText: post.statusText ?? null, statusExpiresAt: now + ctx.config.statusTtlMs };
}
