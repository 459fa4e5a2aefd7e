/**
 * When to try again. The schedule (DELIVERY_RETRY_SCHEDULE, default 5s,5m,30m,2h,5h,10h) lists the
 * waits after each failed attempt; each wait gets ±20% jitter so that a recovering agent is not
 * hit by every retry at the same instant. After the last wait's attempt fails, the delivery is
 * dead-lettered.
 */

export const JITTER = 0.2;
/** The longest Retry-After we honour; beyond it the schedule applies. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Milliseconds to wait after failed attempt number `attempt` (1-based), or null when done. */
export function retryDelay(schedule: readonly number[], attempt: number, random: () => number = Math.random): number | null {
  const base = schedule[attempt - 1];
  if (base === undefined) return null;
  const factor = 1 - JITTER + random() * 2 * JITTER;
  return Math.max(0, Math.round(base * factor));
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}
