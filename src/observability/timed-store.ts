/**
 * A Store that times every call of the store it wraps, for the database latency histogram. It
 * knows nothing of any dialect: it sits in front of whichever store was opened.
 *
 * It is a Proxy rather than a class listing each method, so a method added to Store is timed
 * without anyone remembering to add it here.
 */
import type { Store } from '../store/store.js';

/** Told how long one store call took, success or failure, in seconds. */
export type StoreTimer = (operation: string, seconds: number) => void;

/** Lifecycle calls, not work: `ping` and `walBytes` have their own scrape-time gauges. */
const UNTIMED = new Set<PropertyKey>(['migrate', 'close', 'ping', 'walBytes']);

export function timedStore(store: Store, observe: StoreTimer): Store {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(key);
      if (wrapper === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = UNTIMED.has(key) || typeof key !== 'string'
          ? method.bind(target)
          : (...args: unknown[]): unknown => {
              const start = performance.now();
              const result = method.apply(target, args);
              if (!(result instanceof Promise)) {
                observe(key, (performance.now() - start) / 1000);
                return result;
              }
              return result.then(
                (value: unknown) => {
                  observe(key, (performance.now() - start) / 1000);
                  return value;
                },
                (error: unknown) => {
                  observe(key, (performance.now() - start) / 1000);
                  throw error;
                },
              );
            };
        wrappers.set(key, wrapper);
      }
      return wrapper;
    },
  });
}
