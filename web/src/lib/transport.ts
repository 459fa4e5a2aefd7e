/**
 * Keeps one task in sync with the server. Prefers the SSE stream, falls back to long-poll, then
 * to polling every second (the spec's original behaviour). `?transport=` forces one mode.
 */
import { getResponses } from './api.js';
import { openPollChannel } from './poll-channel.js';
import { openSseChannel } from './sse-channel.js';
import type { Channel, SyncContext, TransportMode } from './sync-types.js';

export type { TransportMode } from './sync-types.js';

export const TRANSPORT_LABELS: Record<TransportMode, string> = {
  sse: 'SSE',
  longpoll: 'Long-poll',
  poll: 'Polling 1s',
};

const FALLBACK: Record<TransportMode, TransportMode | null> = {
  sse: 'longpoll',
  longpoll: 'poll',
  poll: null,
};

const LONG_POLL_SECONDS = 25;
const POLL_INTERVAL_MS = 1000;

/** The mode to start with: `?transport=poll|longpoll|sse` forces one, otherwise SSE with fallback. */
export function transportPreference(search: string): { mode: TransportMode; forced: boolean } {
  const wanted = new URLSearchParams(search).get('transport');
  if (wanted === 'sse' || wanted === 'longpoll' || wanted === 'poll') return { mode: wanted, forced: true };
  const canStream = typeof EventSource === 'function';
  return { mode: canStream ? 'sse' : 'longpoll', forced: false };
}

export class TaskSync {
  #mode: TransportMode;
  #channel: Channel | null = null;
  #active = false;
  #stopped = false;
  #cursor = 0;
  #version = -1;

  private readonly ctx: SyncContext;

  constructor(
    ctx: SyncContext,
    mode: TransportMode,
    private readonly forced: boolean,
    private readonly onModeChange: (mode: TransportMode) => void,
  ) {
    // Remember what was delivered, so the next request never asks again for it even before
    // the page has re-rendered with it.
    this.ctx = {
      taskId: ctx.taskId,
      live: (live) => ctx.live(live),
      cursor: () => Math.max(ctx.cursor(), this.#cursor),
      version: () => {
        const version = Math.max(ctx.version() ?? -1, this.#version);
        return version < 0 ? null : version;
      },
      deliver: (update) => {
        this.#cursor = Math.max(this.#cursor, update.cursor ?? 0, ...update.responses.map((c) => c.seq));
        if (update.task) this.#version = Math.max(this.#version, update.task.version);
        ctx.deliver(update);
      },
      fail: (error) => {
        this.#halt();
        ctx.fail(error);
      },
    };
    this.#mode = mode;
    this.#open(mode);
  }

  get mode(): TransportMode {
    return this.#mode;
  }

  /** Whether an answer is awaited. */
  setActive(active: boolean): void {
    this.#active = active;
    this.#channel?.setActive(active);
  }

  /** Fetch at once (the Refresh button); also restarts syncing after a fatal error. */
  async refresh(): Promise<void> {
    const res = await getResponses(this.ctx.taskId, { after: this.ctx.cursor() });
    this.ctx.deliver({ responses: res.responses, cursor: res.cursor, task: res.task });
    if (!this.#channel && !this.#stopped) this.#open(this.#mode);
  }

  /** After a fatal error; refresh() starts again. */
  #halt(): void {
    this.#channel?.stop();
    this.#channel = null;
  }

  stop(): void {
    this.#stopped = true;
    this.#halt();
  }

  #open(mode: TransportMode): void {
    this.#mode = mode;
    this.onModeChange(mode);
    this.#channel =
      mode === 'sse'
        ? openSseChannel(this.ctx, { onBroken: () => this.#fallBack() })
        : openPollChannel(this.ctx, {
            waitSeconds: mode === 'longpoll' ? LONG_POLL_SECONDS : null,
            // A held request costs next to nothing, so long-poll also brings proactive messages
            // while no answer is awaited; 1 s polling runs only while one is (the spec's rule).
            whileIdle: mode === 'longpoll',
            intervalMs: POLL_INTERVAL_MS,
            onUnsupported: () => this.#fallBack(),
          });
    this.#channel.setActive(this.#active);
  }

  /** Returns whether the current channel was replaced. */
  #fallBack(): boolean {
    const next = FALLBACK[this.#mode];
    if (this.forced || next === null || this.#stopped) return false;
    this.#channel?.stop();
    this.#open(next);
    return true;
  }
}
