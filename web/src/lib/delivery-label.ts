/** What the reader is told about one of their messages, from send to the agent's answer. */
import type { TurnView } from '../../../src/protocol/index.js';
import type { UserMessage } from '../state/chat-state.js';

export type Tone = 'muted' | 'ok' | 'warn' | 'error';

export interface DeliveryLabel {
  text: string;
  tone: Tone;
  /** Longer explanation (tooltip). */
  detail: string | null;
}

export function deliveryLabel(message: UserMessage, turn: TurnView | null): DeliveryLabel {
  if (message.status === 'queued' || message.status === 'sending') return { text: 'Sending…', tone: 'muted', detail: null };
  if (message.status === 'failed') {
    return message.autoRetry
      ? { text: 'Not sent — will send when the server is back', tone: 'warn', detail: message.error }
      : { text: `Not sent${message.error ? `: ${message.error}` : ''}`, tone: 'error', detail: message.error };
  }
  const delivery = turn?.delivery ?? null;
  if (turn?.state === 'canceled') return { text: 'Canceled', tone: 'muted', detail: null };
  if (delivery?.state === 'failed') return { text: 'Failed to deliver', tone: 'error', detail: delivery.lastError };
  if (turn?.state === 'failed') return { text: "The agent couldn't answer this message", tone: 'error', detail: delivery?.lastError ?? null };
  if (delivery?.state === 'retrying') {
    const next = delivery.nextAttemptAt ? ` Next attempt at ${new Date(delivery.nextAttemptAt).toLocaleTimeString()}.` : '';
    return {
      text: `Agent unreachable, retrying (attempt ${delivery.attempts + 1})`,
      tone: 'warn',
      detail: `${delivery.lastError ?? 'The agent backend did not accept the task.'}${next}`,
    };
  }
  if (delivery?.state === 'delivered' || turn?.state === 'answered' || turn?.state === 'working') {
    return { text: 'Delivered', tone: 'ok', detail: null };
  }
  return { text: 'Sent', tone: 'muted', detail: null };
}
