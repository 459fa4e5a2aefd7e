/** Store records → wire shapes. The only place that decides what clients see of a row. */
import type { Config } from '../config.js';
import type { AgentPublic, Communication, DeliveryView, TaskView, TurnView } from '../protocol/index.js';
import type { AgentRecord, CommunicationRecord, DeliveryRecord, TaskRecord } from '../store/records.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function communicationView(row: CommunicationRecord): Communication {
  return {
    messageId: row.messageId,
    taskId: row.taskId,
    seq: row.seq,
    direction: row.direction,
    agentId: row.agentId,
    response: row.response,
    final: row.final,
    inReplyTo: row.inReplyTo,
    createdAt: iso(row.createdAt),
  };
}

export function deliveryView(row: DeliveryRecord): DeliveryView {
  // A pulled task counts one attempt when it is handed out; only a second hand-out is a retry.
  const retried = row.mode === 'pull' ? row.attempts > 1 : row.attempts > 0;
  const state =
    row.state === 'delivered'
      ? 'delivered'
      : row.state === 'failed' || row.state === 'canceled'
        ? row.state
        : retried
          ? 'retrying'
          : 'queued';
  return {
    state,
    attempts: row.attempts,
    nextAttemptAt: row.state === 'pending' && row.attempts > 0 ? iso(row.nextAttemptAt) : null,
    lastError: row.lastError,
  };
}

export function turnView(row: CommunicationRecord, delivery: DeliveryRecord | undefined): TurnView {
  return {
    messageId: row.messageId,
    state: row.turnState ?? 'queued',
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.turnUpdatedAt ?? row.createdAt),
    delivery: delivery ? deliveryView(delivery) : null,
  };
}

export function taskView(
  task: TaskRecord,
  turns: readonly CommunicationRecord[],
  deliveries: readonly DeliveryRecord[],
  now: number,
  limits: Pick<Config, 'stillWaitingMs' | 'turnTimeoutMs'>,
): TaskView {
  const byMessage = new Map<string, DeliveryRecord>();
  for (const d of deliveries) byMessage.set(d.messageId, d);
  const statusLive = task.status !== null && task.statusExpiresAt !== null && task.statusExpiresAt > now;
  return {
    taskId: task.id,
    agentId: task.agentId,
    state: task.state,
    version: task.version,
    agentStatus: statusLive
      ? { status: task.status as string, text: task.statusText, expiresAt: iso(task.statusExpiresAt as number) }
      : null,
    turns: turns.map((t) => turnView(t, byMessage.get(t.messageId))),
    stillWaitingAfterMs: limits.stillWaitingMs,
    turnTimeoutMs: limits.turnTimeoutMs,
    createdAt: iso(task.createdAt),
    updatedAt: iso(task.updatedAt),
  };
}

export function agentPublicView(agent: AgentRecord): AgentPublic {
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    mode: agent.endpointUrl ? 'push' : 'pull',
  };
}
