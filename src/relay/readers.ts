/**
 * Readers of a task: the page's plain poll, long-poll and SSE all read the store after a cursor.
 * Events only wake them; whatever they return comes from committed rows.
 */
import type { Communication, TaskView } from '../protocol/index.js';
import { AppError } from '../errors.js';
import { taskTopic } from '../events/broker.js';
import { Waiter } from '../events/waiter.js';
import type { TaskRecord } from '../store/records.js';
import type { RelayContext } from './context.js';
import { loadTaskView, TURNS_IN_VIEW } from './task-view.js';
import { communicationView } from './views.js';

/** Most responses returned in one read; the cursor lets the reader continue. */
export const PAGE_SIZE = 500;

/** Who is asking to read a task. */
export type Reader =
  | { kind: 'session'; sessionHash: string | null }
  | { kind: 'agent'; agentId: string }
  | { kind: 'admin' };

/** Loads a task the reader may see; any other task is reported missing, never forbidden. */
export async function taskForReader(ctx: RelayContext, taskId: string, reader: Reader): Promise<TaskRecord> {
  const task = await ctx.store.getTask(taskId);
  const allowed =
    task !== null &&
    (reader.kind === 'admin' ||
      (reader.kind === 'agent' && reader.agentId === task.agentId) ||
      (reader.kind === 'session' && reader.sessionHash !== null && reader.sessionHash === task.sessionHash));
  if (!allowed || task === null) throw new AppError('TASK_NOT_FOUND');
  return task;
}

export interface ReadResult {
  responses: Communication[];
  cursor: number;
  task: TaskView;
}

/** Agent answers newer than `after`, and the task as it is now. */
export async function readAfter(ctx: RelayContext, taskId: string, after: number): Promise<ReadResult> {
  const [rows, task, turns] = await Promise.all([
    ctx.store.listCommunications(taskId, after, PAGE_SIZE, 'agent'),
    ctx.store.getTask(taskId),
    ctx.store.listRecentTurns(taskId, TURNS_IN_VIEW),
  ]);
  if (task === null) throw new AppError('TASK_NOT_FOUND');
  const last = rows.at(-1);
  return {
    responses: rows.map(communicationView),
    cursor: last ? last.seq : after,
    task: await loadTaskView(ctx, task, turns),
  };
}

/**
 * Long-poll: resolves as soon as there is an answer newer than `after` (or, when `version` is
 * given, the task has changed), or after `waitMs`. Subscribes before the first read, so a
 * commit between the read and the wait cannot be missed.
 */
export async function waitAfter(
  ctx: RelayContext,
  taskId: string,
  after: number,
  waitMs: number,
  options: { version?: number; signal?: AbortSignal } = {},
): Promise<ReadResult> {
  const signal = options.signal ? AbortSignal.any([options.signal, ctx.shutdown]) : ctx.shutdown;
  const waiter = new Waiter(ctx.broker, taskTopic(taskId), signal);
  ctx.metrics.readers.inc({ kind: 'longpoll' });
  const deadline = ctx.now() + waitMs;
  try {
    for (;;) {
      waiter.arm();
      const result = await readAfter(ctx, taskId, after);
      const changed = options.version !== undefined && result.task.version !== options.version;
      const remaining = deadline - ctx.now();
      if (result.responses.length > 0 || changed || remaining <= 0 || signal.aborted) return result;
      await waiter.wait(remaining);
    }
  } finally {
    waiter.close();
    ctx.metrics.readers.dec({ kind: 'longpoll' });
  }
}
