/**
 * The Store: the one source of truth. Dialect-agnostic and asynchronous, so SQLite and PostgreSQL
 * implement it alike. Domain rules live in relay/, which composes the primitives of StoreTx inside
 * `transaction`; the store itself only reads and writes rows.
 */
import type { TurnState } from '../protocol/index.js';
import type {
  AgentPatch,
  AgentRecord,
  CommunicationRecord,
  DeliveryFilter,
  DeliveryMode,
  DeliveryPatch,
  DeliveryRecord,
  TaskFilter,
  TaskPatch,
  TaskRecord,
  TaskSummaryRecord,
} from './records.js';

/** See StoreTx.readForAnswer. */
export interface AnswerContext {
  byMessageId: CommunicationRecord | null;
  byWebhookId: CommunicationRecord | null;
  latest: CommunicationRecord | null;
  pending: CommunicationRecord | null;
}

/** A turn moving to a new state (see StoreTx.appendMessage). */
export interface TurnChange {
  messageId: string;
  state: TurnState;
  at: number;
}

/** Operations available inside one transaction. Await only these inside `transaction`. */
export interface StoreTx {
  /** Reads a task and, where the dialect needs it, locks it until the transaction ends. */
  getTaskForUpdate(taskId: string): Promise<TaskRecord | null>;
  insertTask(task: TaskRecord): Promise<void>;
  /** Applies the patch and bumps `version` by one. Returns the new version. */
  updateTask(taskId: string, patch: TaskPatch): Promise<number>;
  getCommunication(taskId: string, messageId: string): Promise<CommunicationRecord | null>;
  getCommunicationByWebhookId(agentId: string, webhookId: string): Promise<CommunicationRecord | null>;
  /**
   * What storing an agent's answer needs to know, read at once (one round trip on PostgreSQL): what
   * it may repeat (the message with this ID in the task, and the agent's message with this
   * webhook-id in any task), and the task's latest and latest pending turns (as latestTurns).
   */
  readForAnswer(
    taskId: string,
    messageId: string,
    agentId: string,
    webhookId: string | null,
  ): Promise<AnswerContext>;
  /**
   * getTaskForUpdate, then readForAnswer once the lock is held: one round trip on PostgreSQL (with
   * BEGIN too, when it comes first). The context is read even when there is no such task.
   */
  lockTaskForAnswer(
    taskId: string,
    messageId: string,
    agentId: string,
    webhookId: string | null,
  ): Promise<{ task: TaskRecord | null; context: AnswerContext }>;
  insertCommunication(row: CommunicationRecord): Promise<void>;
  /**
   * insertCommunication, then setTurnState for the turn the message settles (if any), then
   * updateTask: one round trip on PostgreSQL. Returns the task's new version.
   */
  appendMessage(row: CommunicationRecord, patch: TaskPatch, turn?: TurnChange): Promise<number>;
  /**
   * Serialises transactions of one browser session until this transaction ends, so two concurrent
   * first messages with the same ID cannot both open a task. (SQLite already serialises writers.)
   */
  lockSession(sessionHash: string): Promise<void>;
  /**
   * A user message with this ID in any task owned by the session. Lets a retried first message
   * (sent before the client knew its task ID) be recognised instead of opening a second task.
   */
  findUserMessageInSession(sessionHash: string, messageId: string): Promise<CommunicationRecord | null>;
  /** The newest user message whose turn is queued, delivered or working. */
  latestPendingTurn(taskId: string): Promise<CommunicationRecord | null>;
  /** The newest user message of the task, whatever its state. */
  latestTurn(taskId: string): Promise<CommunicationRecord | null>;
  /** latestTurn and latestPendingTurn read at once (one round trip on PostgreSQL). */
  latestTurns(taskId: string): Promise<{ latest: CommunicationRecord | null; pending: CommunicationRecord | null }>;
  setTurnState(taskId: string, messageId: string, state: TurnState, at: number): Promise<void>;
  /** User messages still pending that were created before `before`, oldest first. */
  listStaleTurns(before: number, limit: number): Promise<CommunicationRecord[]>;
  insertDelivery(row: DeliveryRecord): Promise<void>;
  getDelivery(id: string): Promise<DeliveryRecord | null>;
  updateDelivery(id: string, patch: DeliveryPatch): Promise<void>;
  /** Pending deliveries of one message (used when a turn is canceled). */
  listPendingDeliveriesForMessage(taskId: string, messageId: string): Promise<DeliveryRecord[]>;
}

export interface Store {
  /** Which implementation this is, for logs and metrics. */
  readonly dialect: 'sqlite' | 'postgres';

  /** Creates or upgrades the schema. Safe to call from several instances at once. */
  migrate(): Promise<void>;
  /** Cheap round trip for readiness checks. Throws when the database is unreachable. */
  ping(): Promise<void>;
  /** Bytes in the write-ahead log file now (SQLite on a file); absent where there is none to watch. */
  walBytes?(): number;
  close(): Promise<void>;

  /**
   * Runs `fn` in one transaction: everything it wrote is committed before the promise resolves,
   * or nothing is if it throws. Implementations may commit several concurrent transactions
   * together (group commit); each caller still resolves only after its own commit.
   *
   * Rules for `fn`: await only StoreTx calls; never catch a store error and carry on (PostgreSQL
   * aborts the whole transaction on a failed statement); have no side effects outside `tx`, since
   * PostgreSQL may run it again after a deadlock or serialization failure.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;

  // Agents
  insertAgent(agent: AgentRecord): Promise<void>;
  getAgent(id: string): Promise<AgentRecord | null>;
  /** The agent a task belongs to, or null when there is no such task: one read for the webhook's auth. */
  getAgentOfTask(taskId: string): Promise<AgentRecord | null>;
  /** Matches the current token hash, or the previous one while it is still valid at `now`. */
  getAgentByTokenHash(tokenHash: string, now: number): Promise<AgentRecord | null>;
  listAgents(): Promise<AgentRecord[]>;
  updateAgent(id: string, patch: AgentPatch): Promise<void>;

  // Tasks and communications (committed data only)
  getTask(taskId: string): Promise<TaskRecord | null>;
  /** Communications with seq > afterSeq, oldest first; `direction` filters when given. */
  listCommunications(
    taskId: string,
    afterSeq: number,
    limit: number,
    direction?: 'user' | 'agent',
  ): Promise<CommunicationRecord[]>;
  /** The newest `limit` user messages (turns) of a task, oldest first. */
  listRecentTurns(taskId: string, limit: number): Promise<CommunicationRecord[]>;
  /**
   * Tasks newest first (task IDs sort by creation time), with their turn counts, for operators.
   * Pages by keyset: pass the last ID of one page as `before` to get the next.
   */
  listTasks(filter: TaskFilter): Promise<TaskSummaryRecord[]>;
  /** The `task.message` deliveries of these messages of the task, oldest first (the last one is current). */
  listDeliveriesForMessages(taskId: string, messageIds: readonly string[]): Promise<DeliveryRecord[]>;

  // Outbox
  /**
   * Claims up to `limit` pending deliveries of `mode` that are due at `now` and not leased by
   * anyone else, leasing them to `owner` until `leaseUntil`. For pull mode, `agentId` narrows it.
   * Two workers never claim the same delivery while its lease holds.
   */
  claimDeliveries(opts: {
    mode: DeliveryMode;
    now: number;
    limit: number;
    owner: string;
    leaseUntil: number;
    agentId?: string;
  }): Promise<DeliveryRecord[]>;
  /** The earliest `nextAttemptAt` (or lease end) of a pending delivery of `mode`, or null. */
  nextDeliveryDueAt(mode: DeliveryMode, agentId?: string): Promise<number | null>;
  /** Gives back every lease held by `owner` (on shutdown), so others can take them at once. */
  releaseLeases(owner: string): Promise<void>;
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]>;
  getDelivery(id: string): Promise<DeliveryRecord | null>;
  /** Pending deliveries: the outbox backlog. */
  countPendingDeliveries(): Promise<number>;
}
