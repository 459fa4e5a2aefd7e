/**
 * The hint an answer's wake-up carries (see events/broker.ts): the answer as readers show it. A
 * stream whose next expected seq is exactly this one may send it at once, without reading the
 * store first; any other stream, or a hint that does not parse, reads as usual.
 */
import type { Communication } from '../protocol/index.js';
import type { CommunicationRecord } from '../store/records.js';
import { communicationView } from './views.js';

export function answerHint(row: CommunicationRecord): string {
  return JSON.stringify(communicationView(row));
}

/** The answer in a hint, or null when there is none or it is not an answer of `taskId`. */
export function readAnswerHint(hint: string | undefined, taskId: string): Communication | null {
  if (hint === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(hint);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const a = value as Record<string, unknown>;
  const valid =
    a.taskId === taskId &&
    a.direction === 'agent' &&
    typeof a.seq === 'number' &&
    Number.isSafeInteger(a.seq) &&
    typeof a.messageId === 'string' &&
    typeof a.agentId === 'string' &&
    typeof a.response === 'string' &&
    typeof a.final === 'boolean' &&
    (a.inReplyTo === null || typeof a.inReplyTo === 'string') &&
    typeof a.createdAt === 'string';
  if (!valid) return null;
  // Rebuilt field by field, so only the wire shape goes out, whatever else the hint held.
  return {
    messageId: a.messageId as string,
    taskId,
    seq: a.seq as number,
    direction: 'agent',
    agentId: a.agentId as string,
    response: a.response as string,
    final: a.final as boolean,
    inReplyTo: a.inReplyTo as string | null,
    createdAt: a.createdAt as string,
  };
}
