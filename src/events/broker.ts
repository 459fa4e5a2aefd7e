/**
 * Wake-ups for waiting readers. An event carries no data: it only says "look at the store again".
 * The store stays the truth, so a lost event can delay a reader but never lose a message.
 */

/** Topics: `task:<taskId>` wakes the page's readers of a task; `agent:<agentId>` wakes pull-mode agents. */
export type Topic = `task:${string}` | `agent:${string}`;

export interface Broker {
  /** Wakes every subscriber of `topic`, on this instance and (for shared brokers) on the others. */
  publish(topic: Topic): Promise<void>;
  /**
   * Calls `wake` on each publish to `topic`, until the returned function is called.
   * Also calls every `wake` after a reconnect, since events may have been missed meanwhile.
   */
  subscribe(topic: Topic, wake: () => void): () => void;
  /** Number of live subscriptions, for metrics. */
  subscriberCount(): number;
  close(): Promise<void>;
}

export const taskTopic = (taskId: string): Topic => `task:${taskId}`;
export const agentTopic = (agentId: string): Topic => `agent:${agentId}`;
