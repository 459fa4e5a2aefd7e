/** Reads the TaskView of a task from committed data. */
import type { TaskView } from '../protocol/index.js';
import type { CommunicationRecord, TaskRecord } from '../store/records.js';
import type { RelayContext } from './context.js';
import { taskView } from './views.js';

/** How many of the latest turns a TaskView carries. */
export const TURNS_IN_VIEW = 20;

/**
 * `turns`, when given, are the task's latest TURNS_IN_VIEW turns, read by the caller beside the
 * task itself: on PostgreSQL each read is a round trip, and reading them together saves one.
 */
export async function loadTaskView(
  ctx: Pick<RelayContext, 'store' | 'config' | 'now'>,
  task: TaskRecord,
  turns?: readonly CommunicationRecord[],
): Promise<TaskView> {
  turns ??= await ctx.store.listRecentTurns(task.id, TURNS_IN_VIEW);
  const deliveries = await ctx.store.listDeliveriesForMessages(
    task.id,
    turns.map((t) => t.messageId),
  );
  return taskView(task, turns, deliveries, ctx.now(), ctx.config);
}
