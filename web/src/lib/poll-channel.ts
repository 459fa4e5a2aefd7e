/**
 * Fetches get-responses in a loop: every second while an answer is awaited (the spec's polling),
 * or held open by the server (long-poll, `wait=`), which also runs while idle so a message the
 * agent sends on its own shows up. Unreachable server: backoff, resume at once when it returns.
 * A fatal 4xx stops the loop.
 */
import { ApiError, getResponses, isAbortError } from './api.js';
import { backoffDelay } from './backoff.js';
import { sleep } from './sleep.js';
import type { Channel, SyncContext } from './sync-types.js';

export interface PollOptions {
  /** Long-poll hold in seconds; null for plain polling. */
  waitSeconds: number | null;
  /** Keep going while no answer is awaited (long-poll), instead of only while one is. */
  whileIdle: boolean;
  /** Time between the starts of two plain polls. */
  intervalMs: number;
  /**
   * Long-poll keeps coming back at once with nothing new: the server (or a proxy) doesn't hold.
   * Return true when another channel takes over.
   */
  onUnsupported(): boolean;
}

/** Long-polls that return this fast with nothing new count as "not held". */
const QUICK_RETURN_MS = 1000;
const QUICK_RETURNS_BEFORE_FALLBACK = 3;

export function openPollChannel(ctx: SyncContext, options: PollOptions): Channel {
  let active = false;
  let stopped = false;
  let running = false;
  let controller = new AbortController();
  const wanted = (): boolean => !stopped && (active || options.whileIdle);

  async function run(): Promise<void> {
    running = true;
    let failures = 0;
    let quickReturns = 0;
    try {
      while (wanted()) {
        if (controller.signal.aborted) controller = new AbortController();
        const { signal } = controller;
        const startedAt = performance.now();
        // Live while requests go through; a failure turns it off until one succeeds again.
        if (failures === 0) ctx.live(true);
        try {
          const version = ctx.version();
          const res = await getResponses(
            ctx.taskId,
            options.waitSeconds === null
              ? { after: ctx.cursor() }
              : { after: ctx.cursor(), wait: options.waitSeconds, version },
            signal,
          );
          failures = 0;
          ctx.live(true);
          ctx.deliver({ responses: res.responses, cursor: res.cursor, task: res.task });
          const elapsed = performance.now() - startedAt;
          if (options.waitSeconds !== null) {
            const changed = res.responses.length > 0 || res.task.version !== version;
            quickReturns = !changed && elapsed < QUICK_RETURN_MS ? quickReturns + 1 : 0;
            if (quickReturns >= QUICK_RETURNS_BEFORE_FALLBACK && options.onUnsupported()) return;
            // Never hammer: a long-poll that returns at once is followed by a pause.
            if (quickReturns > 0) await sleep(options.intervalMs - elapsed, signal);
          } else if (active) {
            await sleep(options.intervalMs - elapsed, signal);
          }
        } catch (error) {
          if (stopped) return;
          if (isAbortError(error) || signal.aborted) continue;
          if (error instanceof ApiError && error.fatal) {
            ctx.fail(error);
            return;
          }
          ctx.live(false);
          await sleep(backoffDelay(failures++), signal, true).catch(() => undefined);
        }
      }
    } finally {
      running = false;
      ctx.live(false);
    }
  }

  if (options.whileIdle) void run();
  return {
    setActive(next) {
      if (stopped || next === active) return;
      active = next;
      if (options.whileIdle) return;
      if (!active) controller.abort();
      else if (!running) void run();
    },
    stop() {
      stopped = true;
      active = false;
      controller.abort();
    },
  };
}
