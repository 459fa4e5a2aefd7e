/**
 * Marks turns failed when the agent has not answered within TURN_TIMEOUT_MS, so the page says so
 * instead of waiting forever. A late answer is still accepted and shown.
 */
import { taskTopic } from '../events/broker.js';
import type { RelayContext } from './context.js';
import { isPending } from './tasks.js';

const BATCH = 200;

/** One sweep; returns the tasks it changed. Exported for tests. */
export async function failStaleTurns(ctx: RelayContext): Promise<string[]> {
  const changed = await ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const stale = await tx.listStaleTurns(now - ctx.config.turnTimeoutMs, BATCH);
    const tasks = new Set<string>();
    for (const turn of stale) {
      // The list was read without locks: an answer (or a cancel) may have settled the turn since.
      // Lock the task as they do, then look again.
      await tx.getTaskForUpdate(turn.taskId);
      if (!isPending((await tx.getCommunication(turn.taskId, turn.messageId))?.turnState ?? null)) continue;
      await tx.setTurnState(turn.taskId, turn.messageId, 'failed', now);
      const latest = await tx.latestTurn(turn.taskId);
      await tx.updateTask(turn.taskId, latest?.messageId === turn.messageId ? { state: 'failed', updatedAt: now } : { updatedAt: now });
      tasks.add(turn.taskId);
    }
    return [...tasks];
  });
  for (const taskId of changed) void ctx.broker.publish(taskTopic(taskId));
  return changed;
}

export class TurnWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly ctx: RelayContext) {}

  start(): void {
    const interval = Math.max(250, Math.min(30_000, Math.floor(this.ctx.config.turnTimeoutMs / 4)));
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = failStaleTurns(this.ctx)
        .catch((error: unknown) => this.ctx.log.warn({ err: error }, 'turn watchdog sweep failed'))
        .finally(() => (this.running = null));
    }, interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
