/** Operator actions on the outbox: replay a dead-lettered delivery. */
import { AppError } from '../errors.js';
import { agentTopic, taskTopic } from '../events/broker.js';
import type { RelayContext } from '../relay/context.js';

export async function replayDelivery(ctx: RelayContext, deliveryId: string): Promise<void> {
  const delivery = await ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const d = await tx.getDelivery(deliveryId);
    if (d === null) throw new AppError('DELIVERY_NOT_FOUND');
    if (d.state !== 'failed') throw new AppError('DELIVERY_NOT_REPLAYABLE', `That delivery is ${d.state}; only failed ones can be replayed.`);
    await tx.updateDelivery(d.id, { state: 'pending', attempts: 0, nextAttemptAt: now, leaseOwner: null, leaseUntil: null, updatedAt: now });
    if (d.eventType === 'task.message') {
      const turn = await tx.getCommunication(d.taskId, d.messageId);
      if (turn?.turnState === 'failed') {
        await tx.setTurnState(d.taskId, d.messageId, 'queued', now);
        const latest = await tx.latestTurn(d.taskId);
        await tx.updateTask(d.taskId, latest?.messageId === d.messageId ? { state: 'queued', updatedAt: now } : { updatedAt: now });
      }
    }
    return d;
  });
  void ctx.broker.publish(taskTopic(delivery.taskId));
  if (delivery.mode === 'push') ctx.outbox.notify();
  else void ctx.broker.publish(agentTopic(delivery.agentId));
}
