/**
 * Whether the server is reachable, as learned from every request the page makes.
 * While it is not, a probe retries with backoff so the page notices the server's return
 * even when nothing else is polling.
 */
import { backoffDelay } from './backoff.js';

const PROBE_URL = '/api/agents';

export interface ConnectivitySnapshot {
  online: boolean;
  /** When the next automatic probe runs (ms since epoch), while offline. */
  nextProbeAt: number | null;
}

let snapshot: ConnectivitySnapshot = { online: true, nextProbeAt: null };
let attempt = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function publish(next: ConnectivitySnapshot): void {
  snapshot = next;
  for (const listener of listeners) listener();
}

export function subscribeConnectivity(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getConnectivity(): ConnectivitySnapshot {
  return snapshot;
}

export function reportSuccess(): void {
  attempt = 0;
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (!snapshot.online) publish({ online: true, nextProbeAt: null });
}

export function reportFailure(): void {
  if (timer !== undefined) return;
  const delay = backoffDelay(attempt++);
  timer = setTimeout(() => void probe(), delay);
  publish({ online: false, nextProbeAt: Date.now() + delay });
}

/** Probe at once (the banner's "Retry now"). */
export function retryNow(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  void probe();
}

async function probe(): Promise<void> {
  timer = undefined;
  try {
    const res = await fetch(PROBE_URL, {
      credentials: 'same-origin',
      cache: 'no-store',
      signal: AbortSignal.timeout(5000),
    });
    if (res.status >= 502 && res.status <= 504) reportFailure();
    else reportSuccess();
  } catch {
    reportFailure();
  }
}

