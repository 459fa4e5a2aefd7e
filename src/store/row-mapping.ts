/**
 * Rows → store records, for both dialects: columns are snake_case, times are epoch milliseconds
 * (PostgreSQL BIGINTs are parsed to numbers by its pool), booleans are 0/1 or true/false.
 */
import type { AgentRecord, CommunicationRecord, DeliveryRecord, TaskRecord } from './records.js';

export type Row = Record<string, unknown>;

const str = (v: unknown): string => v as string;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toAgent(r: Row): AgentRecord {
  return {
    id: str(r.id),
    name: str(r.name),
    description: strOrNull(r.description),
    endpointUrl: strOrNull(r.endpoint_url),
    endpointDisabledAt: numOrNull(r.endpoint_disabled_at),
    tokenHash: str(r.token_hash),
    signingSecret: str(r.signing_secret),
    previousTokenHash: strOrNull(r.previous_token_hash),
    previousSigningSecret: strOrNull(r.previous_signing_secret),
    previousValidUntil: numOrNull(r.previous_valid_until),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function toTask(r: Row): TaskRecord {
  return {
    id: str(r.id),
    agentId: str(r.agent_id),
    sessionHash: str(r.session_hash),
    state: str(r.state) as TaskRecord['state'],
    lastSeq: num(r.last_seq),
    version: num(r.version),
    status: strOrNull(r.status),
    statusText: strOrNull(r.status_text),
    statusExpiresAt: numOrNull(r.status_expires_at),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function toCommunication(r: Row): CommunicationRecord {
  return {
    taskId: str(r.task_id),
    seq: num(r.seq),
    messageId: str(r.message_id),
    direction: str(r.direction) as CommunicationRecord['direction'],
    agentId: str(r.agent_id),
    response: str(r.response),
    // SQLite stores 0/1, PostgreSQL a BOOLEAN.
    final: r.final === true || Number(r.final) === 1,
    inReplyTo: strOrNull(r.in_reply_to),
    webhookId: strOrNull(r.webhook_id),
    turnState: strOrNull(r.turn_state) as CommunicationRecord['turnState'],
    turnUpdatedAt: numOrNull(r.turn_updated_at),
    createdAt: num(r.created_at),
  };
}

export function toDelivery(r: Row): DeliveryRecord {
  return {
    id: str(r.id),
    taskId: str(r.task_id),
    agentId: str(r.agent_id),
    messageId: str(r.message_id),
    eventType: str(r.event_type) as DeliveryRecord['eventType'],
    payload: str(r.payload),
    mode: str(r.mode) as DeliveryRecord['mode'],
    state: str(r.state) as DeliveryRecord['state'],
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    leaseOwner: strOrNull(r.lease_owner),
    leaseUntil: numOrNull(r.lease_until),
    lastError: strOrNull(r.last_error),
    lastStatus: numOrNull(r.last_status),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    deliveredAt: numOrNull(r.delivered_at),
  };
}

/** camelCase patch keys → snake_case column names. */
export function column(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

