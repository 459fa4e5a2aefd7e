/**
 * Server-sent events: answers and task changes are pushed as they happen, whether or not an
 * answer is awaited. On an error we close the EventSource and ask get-responses what is going
 * on: that both fills any gap and tells "server down" (backoff, banner) from "stream blocked"
 * (fall back). Reconnects pass `after=<cursor>`, so nothing is missed or repeated.
 */
import type { Communication, TaskView } from '../../../src/protocol/index.js';
import { ApiError, getResponses, isAbortError, NetworkError } from './api.js';
import { backoffDelay } from './backoff.js';
import { reportSuccess } from './connectivity.js';
import { sleep } from './sleep.js';
import type { Channel, SyncContext } from './sync-types.js';

export interface SseOptions {
  /** The stream fails while the server is reachable. Return true to stop (a fallback takes over). */
  onBroken(): boolean;
}

/** Failed connects in a row, with the server reachable, before the stream counts as broken. */
const BROKEN_AFTER = 2;
/** A stream that ends sooner than this after opening counts as a failed connect (no tight loops). */
const MIN_HEALTHY_MS = 2000;

/** A malformed event is skipped; the next read after the cursor fills any gap. */
function parse<T>(data: unknown): T | null {
  if (typeof data !== 'string') return null;
  try {
    return JSON.parse(data) as T;
  } catch {
    return null;
  }
}

export function openSseChannel(ctx: SyncContext, options: SseOptions): Channel {
  const controller = new AbortController();
  let source: EventSource | null = null;
  let failedConnects = 0;
  let offlineAttempts = 0;

  function connect(): void {
    const params = new URLSearchParams({ taskId: ctx.taskId, after: String(ctx.cursor()) });
    const es = new EventSource(`/api/communications/stream?${params.toString()}`);
    source = es;
    let openedAt: number | null = null;
    es.onopen = () => {
      openedAt = performance.now();
      ctx.live(true);
      offlineAttempts = 0;
      reportSuccess();
    };
    es.addEventListener('response', (event) => {
      const comm = parse<Communication>(event.data);
      if (comm) ctx.deliver({ responses: [comm], cursor: null, task: null });
    });
    es.addEventListener('task', (event) => {
      const task = parse<TaskView>(event.data);
      if (task) ctx.deliver({ responses: [], cursor: null, task });
    });
    es.onerror = () => {
      ctx.live(false);
      es.close();
      if (source === es) source = null;
      const healthy = openedAt !== null && performance.now() - openedAt >= MIN_HEALTHY_MS;
      if (healthy) failedConnects = 0;
      if (!controller.signal.aborted) void recover(healthy);
    };
  }

  async function recover(healthy: boolean): Promise<void> {
    const { signal } = controller;
    try {
      const res = await getResponses(ctx.taskId, { after: ctx.cursor() }, signal);
      ctx.deliver({ responses: res.responses, cursor: res.cursor, task: res.task });
      offlineAttempts = 0;
      if (!healthy && ++failedConnects >= BROKEN_AFTER && options.onBroken()) return;
      await sleep(healthy ? 0 : backoffDelay(Math.max(0, failedConnects - 1)), signal);
    } catch (error) {
      if (isAbortError(error) || signal.aborted) return;
      if (error instanceof ApiError && error.fatal) {
        ctx.fail(error);
        return;
      }
      const delay = backoffDelay(offlineAttempts++);
      await sleep(error instanceof NetworkError ? delay : delay * 2, signal, true).catch(() => undefined);
    }
    if (!signal.aborted) connect();
  }

  connect();
  return {
    setActive() {
      // The stream stays open for the whole chat: pushes cost nothing while idle.
    },
    stop() {
      controller.abort();
      source?.close();
      source = null;
      ctx.live(false);
    },
  };
}
