/**
 * A person's side of a task: send a message (which opens a turn and queues its delivery, in one
 * transaction) and cancel the pending turn.
 */
import type { TaskMessageWebhook, TaskView, TurnState } from '../protocol/index.js';
import { AppError } from '../errors.js';
import { agentTopic, taskTopic } from '../events/broker.js';
import type { AgentRecord, CommunicationRecord, DeliveryRecord, TaskRecord } from '../store/records.js';
import type { StoreTx } from '../store/store.js';
import type { RelayContext } from './context.js';
import { newDeliveryId, newMessageId, newTaskId } from './ids.js';
import { loadTaskView } from './task-view.js';

export interface AssignInput {
  agentId: string;
  message: string;
  taskId?: string;
  messageId?: string;
  sessionHash: string;
}

export interface AssignResult {
  taskId: string;
  messageId: string;
  seq: number;
  duplicate: boolean;
  task: TaskView;
}

const PENDING: readonly TurnState[] = ['queued', 'delivered', 'working'];
export const isPending = (state: TurnState | null): boolean => state !== null && PENDING.includes(state);

/** A delivery row for an agent, due now. Shared by the message and cancel paths. */
export function newDelivery(
  agent: AgentRecord,
  taskId: string,
  messageId: string,
  payload: object,
  eventType: DeliveryRecord['eventType'],
  now: number,
): DeliveryRecord {
  return {
    id: newDeliveryId(),
    taskId,
    agentId: agent.id,
    messageId,
    eventType,
    payload: JSON.stringify(payload),
    mode: agent.endpointUrl ? 'push' : 'pull',
    state: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    leaseOwner: null,
    leaseUntil: null,
    lastError: null,
    lastStatus: null,
    createdAt: now,
    updatedAt: now,
    deliveredAt: null,
  };
}

async function existingMessage(
  tx: StoreTx,
  input: AssignInput,
): Promise<CommunicationRecord | null> {
  if (input.messageId === undefined) return null;
  if (input.taskId === undefined) await tx.lockSession(input.sessionHash);
  const found = input.taskId
    ? await tx.getCommunication(input.taskId, input.messageId)
    : await tx.findUserMessageInSession(input.sessionHash, input.messageId);
  if (found === null) return null;
  if (found.direction !== 'user' || found.response !== input.message || found.agentId !== input.agentId) {
    throw new AppError('MESSAGE_ID_CONFLICT');
  }
  return found;
}

async function openTask(tx: StoreTx, input: AssignInput, now: number): Promise<TaskRecord> {
  if (input.taskId === undefined) {
    const task: TaskRecord = {
      id: newTaskId(),
      agentId: input.agentId,
      sessionHash: input.sessionHash,
      state: 'queued',
      lastSeq: 0,
      version: 0,
      status: null,
      statusText: null,
      statusExpiresAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insertTask(task);
    return task;
  }
  const task = await tx.getTaskForUpdate(input.taskId);
  // Another session's task is reported as missing, so its existence is not revealed.
  if (task === null || task.sessionHash !== input.sessionHash) throw new AppError('TASK_NOT_FOUND');
  if (task.agentId !== input.agentId) {
    throw new AppError('AGENT_MISMATCH', `Task ${task.id} belongs to agent "${task.agentId}", not "${input.agentId}".`);
  }
  return task;
}

export async function assignUserMessage(ctx: RelayContext, input: AssignInput): Promise<AssignResult> {
  const agent = await ctx.store.getAgent(input.agentId);
  if (agent === null) throw new AppError('AGENT_NOT_FOUND', `No agent with id "${input.agentId}".`);
  const responseUrl = `${ctx.publicUrl}/api/communications/webhook-response`;

  const outcome = await ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const duplicate = await existingMessage(tx, input);
    if (duplicate) return { taskId: duplicate.taskId, messageId: duplicate.messageId, seq: duplicate.seq, duplicate: true };
    const task = await openTask(tx, input, now);
    const messageId = input.messageId ?? newMessageId();
    const seq = task.lastSeq + 1;
    await tx.insertCommunication({
      taskId: task.id,
      seq,
      messageId,
      direction: 'user',
      agentId: agent.id,
      response: input.message,
      final: true,
      inReplyTo: null,
      webhookId: null,
      turnState: 'queued',
      turnUpdatedAt: now,
      createdAt: now,
    });
    const payload: TaskMessageWebhook = {
      type: 'task.message',
      taskId: task.id,
      messageId,
      agentId: agent.id,
      message: input.message,
      createdAt: new Date(now).toISOString(),
      responseUrl,
    };
    await tx.insertDelivery(newDelivery(agent, task.id, messageId, payload, 'task.message', now));
    await tx.updateTask(task.id, { state: 'queued', lastSeq: seq, updatedAt: now });
    return { taskId: task.id, messageId, seq, duplicate: false };
  });

  if (!outcome.duplicate) {
    void ctx.broker.publish(taskTopic(outcome.taskId));
    if (agent.endpointUrl) ctx.outbox.notify();
    else void ctx.broker.publish(agentTopic(agent.id));
  }
  const task = await ctx.store.getTask(outcome.taskId);
  if (task === null) throw new AppError('TASK_NOT_FOUND');
  return { ...outcome, task: await loadTaskView(ctx, task) };
}

export interface CancelInput {
  taskId: string;
  messageId?: string;
  sessionHash: string;
}

/** Cancels the pending turn; a later answer to it is refused with TURN_CANCELED. */
export async function cancelTurn(ctx: RelayContext, input: CancelInput): Promise<TaskView> {
  const task0 = await ctx.store.getTask(input.taskId);
  if (task0 === null || task0.sessionHash !== input.sessionHash) throw new AppError('TASK_NOT_FOUND');
  const agent = await ctx.store.getAgent(task0.agentId);
  const notified = await ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const task = await tx.getTaskForUpdate(input.taskId);
    if (task === null) throw new AppError('TASK_NOT_FOUND');
    const turn = input.messageId
      ? await tx.getCommunication(task.id, input.messageId)
      : await tx.latestPendingTurn(task.id);
    if (turn === null || turn.direction !== 'user') {
      throw input.messageId ? new AppError('MESSAGE_NOT_FOUND') : new AppError('NO_PENDING_TURN');
    }
    if (!isPending(turn.turnState)) {
      throw new AppError('NO_PENDING_TURN', `That turn is already ${turn.turnState ?? 'closed'}.`);
    }
    await tx.setTurnState(task.id, turn.messageId, 'canceled', now);
    // A message not yet handed over is never sent. One the agent has (or may have) received gets a
    // cancel notice: delivered, being sent right now, or pulled but not yet acknowledged.
    let notify = false;
    const pending = await tx.listPendingDeliveriesForMessage(task.id, turn.messageId);
    const mayHaveReached = pending.some((d) =>
      d.mode === 'pull'
        ? d.attempts > 0
        : (d.leaseOwner !== null && (d.leaseUntil ?? 0) > now) || (d.attempts > 0 && d.lastStatus === null),
    );
    for (const d of pending) await tx.updateDelivery(d.id, { state: 'canceled', updatedAt: now, leaseOwner: null, leaseUntil: null });
    if (agent && (pending.length === 0 || mayHaveReached)) {
      notify = true;
      await tx.insertDelivery(
        newDelivery(
          agent,
          task.id,
          turn.messageId,
          { type: 'task.canceled', taskId: task.id, messageId: turn.messageId, agentId: agent.id, createdAt: new Date(now).toISOString() },
          'task.canceled',
          now,
        ),
      );
    }
    const latest = await tx.latestTurn(task.id);
    const patch = latest?.messageId === turn.messageId ? { state: 'canceled' as const } : {};
    await tx.updateTask(task.id, { ...patch, status: null, statusText: null, statusExpiresAt: null, updatedAt: now });
    return notify;
  });
  void ctx.broker.publish(taskTopic(input.taskId));
  if (notified && agent) {
    if (agent.endpointUrl) ctx.outbox.notify();
    else void ctx.broker.publish(agentTopic(agent.id));
  }
  const task = await ctx.store.getTask(input.taskId);
  if (task === null) throw new AppError('TASK_NOT_FOUND');
  return loadTaskView(ctx, task);
}
