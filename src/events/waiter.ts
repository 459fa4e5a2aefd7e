/**
 * A reader's wait for a wake-up: subscribe first, then read, then wait. A wake that lands between
 * `arm()` and `wait()` is remembered, so a commit during the read is never slept through.
 */
import type { Broker, Topic } from './broker.js';

export class Waiter {
  private woken = false;
  private release: (() => void) | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    broker: Broker,
    topic: Topic,
    private readonly signal: AbortSignal,
  ) {
    this.unsubscribe = broker.subscribe(topic, () => {
      this.woken = true;
      this.release?.();
    });
  }

  /** Call before each read: only wakes after this count. */
  arm(): void {
    this.woken = false;
  }

  /** Resolves on a wake since `arm()`, after `ms`, or when the signal aborts. */
  wait(ms: number): Promise<void> {
    if (this.woken || this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', done);
        this.release = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.signal.addEventListener('abort', done, { once: true });
      this.release = done;
    });
  }

  close(): void {
    this.release?.();
    this.unsubscribe();
  }
}
