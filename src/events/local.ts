/** The in-process broker: enough for one instance. */
import { hintText, type Broker, type Hint, type Topic } from './broker.js';

type Wake = (hint?: string) => void;

/** What every publish returns: it has nothing to wait for. */
const DONE = Promise.resolve();

export class LocalBroker implements Broker {
  /**
   * A topic's subscribers: the function itself while there is one (a task usually has a single
   * reader: its page's stream), a Set from the second on. A Set for every topic would cost ~200
   * bytes per open stream.
   */
  private readonly subscribers = new Map<Topic, Wake | Set<Wake>>();
  private count = 0;

  publish(topic: Topic, hint?: Hint): Promise<void> {
    this.deliver(topic, hint);
    return DONE;
  }

  /** Calls the local subscribers of `topic`; shared brokers reuse this for remote events. */
  deliver(topic: Topic, hint?: Hint): void {
    const entry = this.subscribers.get(topic);
    if (entry === undefined) return;
    const text = hintText(hint);
    // A copy: a subscriber may unsubscribe (itself or another) while being woken.
    for (const wake of typeof entry === 'function' ? [entry] : [...entry]) {
      try {
        wake(text);
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

  subscribe(topic: Topic, wake: Wake): () => void {
    const entry = this.subscribers.get(topic);
    if (entry === undefined) this.subscribers.set(topic, wake);
    else if (typeof entry !== 'function') entry.add(wake);
    else if (entry !== wake) this.subscribers.set(topic, new Set([entry, wake]));
    this.count++;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.count--;
      this.remove(topic, wake);
    };
  }

  private remove(topic: Topic, wake: Wake): void {
    const entry = this.subscribers.get(topic);
    if (entry === wake) {
      this.subscribers.delete(topic);
    } else if (entry !== undefined && typeof entry !== 'function' && entry.delete(wake)) {
      // Back to the single function once one subscriber is left.
      if (entry.size === 1) this.subscribers.set(topic, entry.values().next().value as Wake);
    }
  }

  subscriberCount(): number {
    return this.count;
  }

  async close(): Promise<void> {
    this.subscribers.clear();
    this.count = 0;
  }
}
