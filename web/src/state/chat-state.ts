/**
 * One chat session: what the reader wrote, what the agent answered, and the server's view of
 * the task. Pure, so every network result (however late or repeated) merges the same way:
 * answers are deduplicated by messageId and seq, task views only move forward by version.
 */
import type { AssignUserTaskResponse, Communication, TaskView } from '../../../src/protocol/index.js';
import type { SyncUpdate } from '../lib/sync-types.js';

export type SendStatus = 'queued' | 'sending' | 'sent' | 'failed';

export interface UserMessage {
  messageId: string;
  text: string;
  /** Local clock (ms) when the reader sent it; the waiting timer counts from here. */
  sentAt: number;
  localOrder: number;
  /** Server order, once stored. */
  seq: number | null;
  /** Highest seq known when it was written: places it in the timeline until it has its own. */
  afterSeq: number;
  status: SendStatus;
  error: string | null;
  /** Failed because the server was unreachable: resend by itself when it is back. */
  autoRetry: boolean;
}

export interface ChatState {
  /** Bumped by "new chat", so results that belong to an older chat are dropped. */
  session: number;
  agentId: string | null;
  taskId: string | null;
  users: UserMessage[];
  /** Agent answers, ordered by seq. */
  answers: Communication[];
  cursor: number;
  task: TaskView | null;
  /** Syncing stopped on an error that retrying won't fix. */
  syncError: string | null;
}

export type ChatAction =
  | { type: 'newChat'; agentId: string | null }
  | { type: 'enqueue'; messageId: string; text: string; sentAt: number }
  | { type: 'sending'; session: number; messageId: string }
  | { type: 'sent'; session: number; messageId: string; response: AssignUserTaskResponse }
  | { type: 'sendFailed'; session: number; messageId: string; error: string; autoRetry: boolean }
  | { type: 'requeue'; messageIds: string[] }
  /** The server is unreachable: queued messages wait, marked to go out when it is back. */
  | { type: 'holdQueued'; error: string }
  | { type: 'synced'; session: number; update: SyncUpdate }
  | { type: 'syncFailed'; session: number; error: string };

export function initialChat(agentId: string | null, session = 0): ChatState {
  return { session, agentId, taskId: null, users: [], answers: [], cursor: 0, task: null, syncError: null };
}

function newerTask(current: TaskView | null, next: TaskView | null): TaskView | null {
  if (!next) return current;
  if (!current || next.version >= current.version) return next;
  return current;
}

function mergeAnswers(current: Communication[], incoming: Communication[], taskId: string | null): Communication[] {
  const fresh = incoming.filter(
    (c) =>
      c.direction === 'agent' &&
      (taskId === null || c.taskId === taskId) &&
      !current.some((known) => known.messageId === c.messageId || known.seq === c.seq),
  );
  if (fresh.length === 0) return current;
  const seen = new Set<string>();
  return [...current, ...fresh]
    .filter((c) => (seen.has(c.messageId) ? false : (seen.add(c.messageId), true)))
    .sort((a, b) => a.seq - b.seq);
}

function highestSeq(state: ChatState): number {
  const userSeqs = state.users.map((u) => u.seq ?? 0);
  return Math.max(state.cursor, ...userSeqs);
}

function updateUser(state: ChatState, messageId: string, patch: Partial<UserMessage>): ChatState {
  return { ...state, users: state.users.map((u) => (u.messageId === messageId ? { ...u, ...patch } : u)) };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  if ('session' in action && action.session !== state.session) return state;
  switch (action.type) {
    case 'newChat':
      return initialChat(action.agentId, state.session + 1);
    case 'enqueue': {
      const message: UserMessage = {
        messageId: action.messageId,
        text: action.text,
        sentAt: action.sentAt,
        localOrder: state.users.length,
        seq: null,
        afterSeq: highestSeq(state),
        status: 'queued',
        error: null,
        autoRetry: false,
      };
      return { ...state, users: [...state.users, message] };
    }
    case 'sending':
      return updateUser(state, action.messageId, { status: 'sending', error: null });
    case 'sent': {
      const { response } = action;
      if (state.taskId !== null && response.taskId !== state.taskId) return state;
      const next = updateUser(state, action.messageId, {
        status: 'sent',
        seq: response.seq,
        error: null,
        autoRetry: false,
      });
      return { ...next, taskId: response.taskId, task: newerTask(state.task, response.task) };
    }
    case 'sendFailed':
      return updateUser(state, action.messageId, {
        status: 'failed',
        error: action.error,
        autoRetry: action.autoRetry,
      });
    case 'requeue':
      return {
        ...state,
        users: state.users.map((u) =>
          action.messageIds.includes(u.messageId) && u.status === 'failed'
            ? { ...u, status: 'queued', error: null, autoRetry: false }
            : u,
        ),
      };
    case 'holdQueued':
      if (!state.users.some((u) => u.status === 'queued')) return state;
      return {
        ...state,
        users: state.users.map((u) => (u.status === 'queued' ? { ...u, status: 'failed', error: action.error, autoRetry: true } : u)),
      };
    case 'synced': {
      const { update } = action;
      const answers = mergeAnswers(state.answers, update.responses, state.taskId);
      const seqs = update.responses.map((c) => c.seq);
      const cursor = Math.max(state.cursor, update.cursor ?? 0, ...seqs);
      const sameTask = update.task && (state.taskId === null || update.task.taskId === state.taskId);
      const task = newerTask(state.task, sameTask ? update.task : null);
      if (answers === state.answers && cursor === state.cursor && task === state.task && state.syncError === null) {
        return state;
      }
      return { ...state, answers, cursor, task, syncError: null };
    }
    case 'syncFailed':
      return { ...state, syncError: action.error };
  }
}
