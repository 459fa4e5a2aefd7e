/** Views derived from the chat state: the timeline in reading order and the turn being awaited. */
import type { Communication, TurnState, TurnView } from '../../../src/protocol/index.js';
import type { ChatState, UserMessage } from './chat-state.js';

export type TimelineItem =
  | { kind: 'user'; key: string; message: UserMessage; turn: TurnView | null }
  | { kind: 'agent'; key: string; answer: Communication };

const OPEN_STATES: ReadonlySet<TurnState> = new Set(['queued', 'delivered', 'working']);

/**
 * Everything in server order (seq). A message not stored yet sits just after what was known
 * when it was written, so it never jumps above answers the reader had already seen.
 */
export function timeline(state: ChatState): TimelineItem[] {
  const turns = new Map((state.task?.turns ?? []).map((t) => [t.messageId, t]));
  const items: { order: number; tie: number; item: TimelineItem }[] = [];
  for (const message of state.users) {
    items.push({
      order: message.seq ?? message.afterSeq + 0.5,
      tie: message.localOrder,
      item: { kind: 'user', key: `u:${message.messageId}`, message, turn: turns.get(message.messageId) ?? null },
    });
  }
  for (const answer of state.answers) {
    items.push({ order: answer.seq, tie: -1, item: { kind: 'agent', key: `a:${answer.messageId}`, answer } });
  }
  return items.sort((a, b) => a.order - b.order || a.tie - b.tie).map((entry) => entry.item);
}

export interface PendingTurn {
  messageId: string;
  /** Local clock (ms) when it was sent. */
  since: number;
  state: TurnState;
}

/**
 * A final answer can land a moment before the task view that marks the turn answered.
 * Without a turn to go by, any final answer after the message counts.
 */
function answeredLocally(state: ChatState, message: UserMessage, haveTurn: boolean): boolean {
  return state.answers.some(
    (a) =>
      a.final &&
      (a.inReplyTo === message.messageId ||
        (!haveTurn && a.inReplyTo === null && message.seq !== null && a.seq > message.seq)),
  );
}

/**
 * The newest sent message whose answer is still awaited; null when nothing is. Older turns count
 * too: an answer to the newest message must not stop the wait for an earlier one.
 */
export function pendingTurn(state: ChatState): PendingTurn | null {
  const sent = state.users.filter((u) => u.status === 'sent');
  for (let i = sent.length - 1; i >= 0; i--) {
    const message = sent[i];
    if (!message) continue;
    const turn = state.task?.turns.find((t) => t.messageId === message.messageId);
    // Only the newest message may be missing from a task view that lags behind; the view
    // lists the turns still of interest, so an older one missing from it is settled.
    if (!turn && i !== sent.length - 1) continue;
    const turnState = turn?.state ?? 'queued';
    if (OPEN_STATES.has(turnState) && !answeredLocally(state, message, turn !== undefined)) {
      return { messageId: message.messageId, since: message.sentAt, state: turnState };
    }
  }
  return null;
}

export function turnFailed(turn: TurnView | null): boolean {
  return turn?.state === 'failed';
}
