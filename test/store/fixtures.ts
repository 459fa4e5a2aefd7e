/** Records for store tests: valid defaults, overridden per test. */
import type { AgentRecord, CommunicationRecord, DeliveryRecord, TaskRecord } from '../../src/store/records.js';

export function agent(id: string, overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    id,
    name: `Agent ${id}`,
    description: null,
    endpointUrl: null,
    endpointDisabledAt: null,
    tokenHash: `token-${id}`,
    signingSecret: `secret-${id}`,
    previousTokenHash: null,
    previousSigningSecret: null,
    previousValidUntil: null,
    createdAt: 1000,
    updatedAt: 1000,
    ...overrides,
  };
}

export function task(id: string, agentId: string, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id,
    agentId,
    sessionHash: 'session-1',
    state: 'queued',
    lastSeq: 0,
    version: 0,
    status: null,
    statusText: null,
    statusExpiresAt: null,
    createdAt: 1000,
    updatedAt: 1000,
    ...overrides,
  };
}

export function userMessage(
  taskId: string,
  seq: number,
  agentId: string,
  overrides: Partial<CommunicationRecord> = {},
): CommunicationRecord {
  return {
    taskId,
    seq,
    messageId: `u${seq}`,
    direction: 'user',
    agentId,
    response: `question ${seq}`,
    final: true,
    inReplyTo: null,
    webhookId: null,
    turnState: 'queued',
    turnUpdatedAt: 1000 + seq,
    createdAt: 1000 + seq,
    ...overrides,
  };
}

export function agentMessage(
  taskId: string,
  seq: number,
  agentId: string,
  overrides: Partial<CommunicationRecord> = {},
): CommunicationRecord {
  return {
    taskId,
    seq,
    messageId: `a${seq}`,
    direction: 'agent',
    agentId,
    response: `answer ${seq}`,
    final: true,
    inReplyTo: null,
    webhookId: null,
    turnState: null,
    turnUpdatedAt: null,
    createdAt: 1000 + seq,
    ...overrides,
  };
}

export function delivery(id: string, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    id,
    taskId: 't1',
    agentId: 'ag1',
    messageId: 'u1',
    eventType: 'task.message',
    payload: '{"type":"task.message"}',
    mode: 'push',
    state: 'pending',
    attempts: 0,
    nextAttemptAt: 1000,
    leaseOwner: null,
    leaseUntil: null,
    lastError: null,
    lastStatus: null,
    createdAt: 1000,
    updatedAt: 1000,
    deliveredAt: null,
    ...overrides,
  };
}
