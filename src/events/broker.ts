/**
 * Wake-ups for waiting readers. An event says "look at the store again"; the store stays the truth,
 * so a lost event can delay a reader but never lose a message.
 *
 * An event may carry a hint of what was just committed (for a task, the answer and its seq). A
 * reader that can place the hint exactly (it is the very next seq it expects) may use it instead of
 * reading; anything else (no hint, a gap, a hint it cannot parse) makes it read the store. Brokers
 * may drop hints at will (too large for a NOTIFY, several for one topic at once), never the wake-up.
 */

/**
 * A hint, or a function that makes it: a broker calls the function only when someone could use the
 * hint (the in-process broker, only when the topic has a subscriber here), and at most once.
 */
export type Hint = string | (() => string);

/** The hint's text (calling the function form). */
export const hintText = (hint: Hint | undefined): string | undefined => (typeof hint === 'function' ? hint() : hint);

/** Topics: `task:<taskId>` wakes the page's readers of a task; `agent:<agentId>` wakes pull-mode agents. */
export type Topic = `task:${string}` | `agent:${string}`;

export interface Broker {
  /** Wakes every subscriber of `topic`, on this instance and (for shared brokers) on the others. */
  publish(topic: Topic, hint?: Hint): Promise<void>;
  /**
   * Calls `wake` on each publish to `topic`, until the returned function is called.
   * Also calls every `wake` after a reconnect, since events may have been missed meanwhile.
   */
  subscribe(topic: Topic, wake: (hint?: string) => void): () => void;
  /** Number of live subscriptions, for metrics. */
  subscriberCount(): number;
  close(): Promise<void>;
}

export const taskTopic = (taskId: string): Topic => `task:${taskId}`;
export const agentTopic = (agentId: string): Topic => `agent:${agentId}`;
