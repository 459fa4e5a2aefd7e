/**
 * Wire types for tasks and their messages. A task is one chat session (the spec's "task ID");
 * every user message in it opens a turn that the agent answers.
 */

/** Who wrote a communication. */
export type Direction = 'user' | 'agent';

/**
 * The life of one user message:
 * queued → delivered → working → answered, or failed, or canceled.
 */
export type TurnState = 'queued' | 'delivered' | 'working' | 'answered' | 'failed' | 'canceled';

/** How the message is getting to the agent's backend. */
export type DeliveryState = 'queued' | 'delivered' | 'retrying' | 'failed' | 'canceled';

/** One stored message of a task, user or agent. `seq` is the task's cursor and ordering. */
export interface Communication {
  /** Message ID, unique within the task. */
  messageId: string;
  taskId: string;
  /** Monotonic per task: the cursor for `get-responses?after=` and the SSE event id. */
  seq: number;
  direction: Direction;
  agentId: string;
  /** The text: the spec's `response` column (for user messages, the message itself). */
  response: string;
  /** For agent answers: false means more is coming and the page keeps waiting. */
  final: boolean;
  /** For agent answers: the user message this answers, if any. */
  inReplyTo: string | null;
  /** ISO 8601. */
  createdAt: string;
}

/** Delivery of one user message to the agent backend. */
export interface DeliveryView {
  state: DeliveryState;
  /** Attempts made so far. */
  attempts: number;
  /** ISO 8601 time of the next attempt when retrying. */
  nextAttemptAt: string | null;
  lastError: string | null;
}

/** One user message and what became of it. */
export interface TurnView {
  messageId: string;
  state: TurnState;
  createdAt: string;
  updatedAt: string;
  delivery: DeliveryView | null;
}

/** A transient "Agent is working…" indicator; it expires unless the agent refreshes it. */
export interface AgentStatusView {
  status: string;
  text: string | null;
  /** ISO 8601; after this the status no longer applies. */
  expiresAt: string;
}

/** The state of a task as the page shows it. */
export interface TaskView {
  taskId: string;
  agentId: string;
  /** The state of the latest turn. */
  state: TurnState;
  /** Bumped on every change of the task (message, status, turn, delivery). */
  version: number;
  agentStatus: AgentStatusView | null;
  /** The turns still of interest: the latest ones, oldest first. */
  turns: TurnView[];
  /** After this long without an answer the page says the agent is slow (STILL_WAITING_MS). */
  stillWaitingAfterMs: number;
  /** After this long without an answer the server marks the turn failed (TURN_TIMEOUT_MS). */
  turnTimeoutMs: number;
  createdAt: string;
  updatedAt: string;
}

/** An agent as the chat page lists it. */
export interface AgentPublic {
  id: string;
  name: string;
  description: string | null;
  /** push: we POST tasks to its endpoint; pull: it fetches them. */
  mode: 'push' | 'pull';
}
