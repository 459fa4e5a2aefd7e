/**
 * Mapping between PostgreSQL rows (snake_case, BIGINT milliseconds, BOOLEAN) and store records,
 * plus the parameterised SET clause for patches.
 */
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import type { AgentRecord, CommunicationRecord, DeliveryRecord, TaskRecord } from '../records.js';

export type Row = Record<string, unknown>;

/**
 * int8 (BIGINT, BIGSERIAL, COUNT(*)) arrives as a string by default, because it can exceed 2^53.
 * Our int8 values are epoch milliseconds and row counts, far below that, so they become numbers.
 * Scoped to our pools rather than set globally, so other pg users in the process are unaffected.
 */
export const PG_TYPES: CustomTypesConfig = {
  getTypeParser: (id, format) =>
    id === pg.types.builtins.INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(id, format),
};

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
    final: r.final === true,
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

/** Columns a patch may set, per table. Patch keys become SQL identifiers, so only these pass. */
export const PATCHABLE = {
  agents: new Set([
    'name', 'description', 'endpoint_url', 'endpoint_disabled_at', 'token_hash', 'signing_secret',
    'previous_token_hash', 'previous_signing_secret', 'previous_valid_until', 'updated_at',
  ]),
  tasks: new Set(['state', 'last_seq', 'status', 'status_text', 'status_expires_at', 'updated_at']),
  deliveries: new Set([
    'state', 'attempts', 'next_attempt_at', 'lease_owner', 'lease_until', 'last_error', 'last_status',
    'delivered_at', 'updated_at',
  ]),
} as const;

/**
 * `SET a = $1, b = $2 …` for the defined keys of `patch`; `values` holds their parameters.
 * Parameters are numbered from 1, so the caller appends its WHERE parameters after them.
 */
export function setClause(table: keyof typeof PATCHABLE, patch: object): { sets: string[]; values: unknown[] } {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const name = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (!PATCHABLE[table].has(name)) throw new Error(`${table}.${name} cannot be patched`);
    values.push(value);
    sets.push(`${name} = $${values.length}`);
  }
  return { sets, values };
}
