/** Retry delays: 0.5 s, 1 s, 2 s, 4 s, then 5 s, each with ±20 % jitter so many tabs don't retry in step. */
export function backoffDelay(attempt: number): number {
  const base = Math.min(5000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
