/** Rows as the store returns them: dialect-agnostic, times in epoch milliseconds. */
import type { Direction, TurnState } from '../protocol/index.js';

export interface AgentRecord {
  id: string;
  name: string;
  description: string | null;
  endpointUrl: string | null;
  /** Set when the endpoint answered 410 Gone; push delivery stops until it is re-enabled. */
  endpointDisabledAt: number | null;
  tokenHash: string;
  signingSecret: string;
  /** After a rotation, the old credentials keep working until `previousValidUntil`. */
  previousTokenHash: string | null;
  previousSigningSecret: string | null;
  previousValidUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface TaskRecord {
  id: string;
  agentId: string;
  /** SHA-256 of the owning browser session's cookie value. */
  sessionHash: string;
  state: TurnState;
  lastSeq: number;
  version: number;
  status: string | null;
  statusText: string | null;
  statusExpiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface CommunicationRecord {
  taskId: string;
  seq: number;
  messageId: string;
  direction: Direction;
  agentId: string;
  response: string;
  final: boolean;
  inReplyTo: string | null;
  webhookId: string | null;
  /** User messages only: the state of the turn the message opened. */
  turnState: TurnState | null;
  turnUpdatedAt: number | null;
  createdAt: number;
}

export type DeliveryMode = 'push' | 'pull';
/** pending covers both "queued" (0 attempts) and "retrying". */
export type DeliveryRecordState = 'pending' | 'delivered' | 'failed' | 'canceled';

export interface DeliveryRecord {
  /** Also the Standard Webhooks `webhook-id`; stable across retries. */
  id: string;
  taskId: string;
  agentId: string;
  messageId: string;
  eventType: 'task.message' | 'task.canceled';
  /** The JSON body sent to the agent. */
  payload: string;
  mode: DeliveryMode;
  state: DeliveryRecordState;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  lastStatus: number | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}

export interface TaskPatch {
  state?: TurnState;
  lastSeq?: number;
  status?: string | null;
  statusText?: string | null;
  statusExpiresAt?: number | null;
  updatedAt: number;
}

export interface DeliveryPatch {
  state?: DeliveryRecordState;
  attempts?: number;
  nextAttemptAt?: number;
  leaseOwner?: string | null;
  leaseUntil?: number | null;
  lastError?: string | null;
  lastStatus?: number | null;
  deliveredAt?: number | null;
  updatedAt: number;
}

export interface AgentPatch {
  name?: string;
  description?: string | null;
  endpointUrl?: string | null;
  endpointDisabledAt?: number | null;
  tokenHash?: string;
  signingSecret?: string;
  previousTokenHash?: string | null;
  previousSigningSecret?: string | null;
  previousValidUntil?: number | null;
  updatedAt: number;
}

/** A task as the operator page lists it: the row plus how many turns (user messages) it has. */
export interface TaskSummaryRecord extends TaskRecord {
  turnCount: number;
}

/** Which tasks to list, newest first; `before` (a task ID) continues after a previous page. */
export interface TaskFilter {
  state?: TurnState;
  agentId?: string;
  before?: string;
  limit: number;
}

export interface DeliveryFilter {
  state?: DeliveryRecordState;
  agentId?: string;
  taskId?: string;
  limit: number;
}
