/** What the transports (SSE, long-poll, polling) share with the rest of the page. */
import type { Communication, TaskView } from '../../../src/protocol/index.js';
import type { ApiError } from './errors.js';

export type TransportMode = 'sse' | 'longpoll' | 'poll';

/** Something learned from the server about the task. */
export interface SyncUpdate {
  responses: Communication[];
  cursor: number | null;
  task: TaskView | null;
}

export interface SyncContext {
  taskId: string;
  /** Highest seq the page already has; fetch only what is newer. */
  cursor(): number;
  /** The task version the page shows, for long-poll's `version=`. */
  version(): number | null;
  deliver(update: SyncUpdate): void;
  /** A 4xx that retrying will not fix: stop and tell the reader. */
  fail(error: ApiError): void;
  /** Whether answers are flowing right now: the stream is open, or polls are succeeding. */
  live(live: boolean): void;
}

export interface Channel {
  /** Whether an answer is awaited; the polling channels only poll while it is. */
  setActive(active: boolean): void;
  stop(): void;
}
