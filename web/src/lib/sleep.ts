import { getConnectivity, subscribeConnectivity } from './connectivity.js';

/**
 * Waits `ms`. With `wakeWhenOnline`, returns early when the server is seen reachable again, so
 * loops sitting in backoff resume at once. Rejects with the abort reason when `signal` aborts.
 */
export function sleep(ms: number, signal: AbortSignal, wakeWhenOnline = false): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const cleanup = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      unsubscribe();
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve();
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
    const unsubscribe = wakeWhenOnline
      ? subscribeConnectivity(() => {
          if (getConnectivity().online) {
            cleanup();
            resolve();
          }
        })
      : () => undefined;
  });
}
