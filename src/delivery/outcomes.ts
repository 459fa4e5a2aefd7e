/**
 * Records what became of a delivery attempt, and moves the user's turn with it: delivered →
 * turn "delivered"; dead-lettered → turn "failed". One transaction, then a wake-up for the page.
 */
import type { TaskPatch } from '../store/records.js';
import { taskTopic } from '../events/broker.js';
import type { RelayContext } from '../relay/context.js';

export type Outcome =
  | { kind: 'delivered'; status: number | null }
  | { kind: 'retry'; at: number; error: string; status: number | null }
  /** `attempted` is false when no request was made (endpoint disabled, no endpoint, agent gone). */
  | { kind: 'dead'; error: string; status: number | null; attempted: boolean };

/**
 * Applies `outcome` to the delivery if `owner` still holds its lease (otherwise another worker
 * took it over and this result is stale). Returns whether it was applied.
 */
export async function recordOutcome(
  ctx: RelayContext,
  deliveryId: string,
  owner: string | null,
  outcome: Outcome,
): Promise<boolean> {
  const applied = await ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const delivery = await tx.getDelivery(deliveryId);
    if (delivery === null || delivery.state !== 'pending') return null;
    if (owner !== null && delivery.leaseOwner !== owner) return null;
    // A pulled task counted its attempt when it was handed out; a send never made is no attempt.
    const attempted = owner !== null && !(outcome.kind === 'dead' && !outcome.attempted);
    const attempts = delivery.attempts + (attempted ? 1 : 0);
    if (outcome.kind === 'retry') {
      await tx.updateDelivery(deliveryId, {
        attempts,
        nextAttemptAt: outcome.at,
        lastError: outcome.error,
        lastStatus: outcome.status,
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
      });
    } else {
      await tx.updateDelivery(deliveryId, {
        state: outcome.kind === 'delivered' ? 'delivered' : 'failed',
        attempts,
        lastError: outcome.kind === 'dead' ? outcome.error : delivery.lastError,
        lastStatus: outcome.status,
        deliveredAt: outcome.kind === 'delivered' ? now : null,
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
      });
    }
    if (delivery.eventType !== 'task.message') return delivery.taskId;
    const turn = await tx.getCommunication(delivery.taskId, delivery.messageId);
    const patch: TaskPatch = { updatedAt: now };
    if (turn && outcome.kind !== 'retry') {
      const next =
        outcome.kind === 'delivered' ? (turn.turnState === 'queued' ? 'delivered' : null) : turn.turnState === 'answered' || turn.turnState === 'canceled' ? null : 'failed';
      if (next) {
        await tx.setTurnState(delivery.taskId, delivery.messageId, next, now);
        const latest = await tx.latestTurn(delivery.taskId);
        if (latest?.messageId === delivery.messageId) patch.state = next;
      }
    }
    // Bumps the task's version so readers see the new delivery state.
    await tx.updateTask(delivery.taskId, patch);
    return delivery.taskId;
  });
  if (applied !== null) void ctx.broker.publish(taskTopic(applied));
  return applied !== null;
}
