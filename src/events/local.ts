/** The in-process broker: enough for one instance. */
import type { Broker, Topic } from './broker.js';

export class LocalBroker implements Broker {
  private readonly subscribers = new Map<Topic, Set<(hint?: string) => void>>();
  private count = 0;

  async publish(topic: Topic, hint?: string): Promise<void> {
    this.deliver(topic, hint);
  }

  /** Calls the local subscribers of `topic`; shared brokers reuse this for remote events. */
  deliver(topic: Topic, hint?: string): void {
    const set = this.subscribers.get(topic);
    if (!set) return;
    for (const wake of [...set]) {
      try {
        wake(hint);
      } catch {
        // One faulty waiter must not stop the others from waking.
      }
    }
  }

  /** Wakes every subscriber (after a reconnect of a shared broker). */
  wakeAll(): void {
    for (const topic of [...this.subscribers.keys()]) this.deliver(topic);
  }

  topics(): Topic[] {
    return [...this.subscribers.keys()];
  }

  subscribe(topic: Topic, wake: (hint?: string) => void): () => void {
    let set = this.subscribers.get(topic);
    if (!set) {
      set = new Set();
      this.subscribers.set(topic, set);
    }
    set.add(wake);
    this.count++;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.count--;
      const current = this.subscribers.get(topic);
      if (!current) return;
      current.delete(wake);
      if (current.size === 0) this.subscribers.delete(topic);
    };
  }

  subscriberCount(): number {
    return this.count;
  }

  async close(): Promise<void> {
    this.subscribers.clear();
    this.count = 0;
  }
}
