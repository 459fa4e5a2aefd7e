/**
 * Pull mode, for agents with no public URL (like Telegram's getUpdates): the agent long-polls for
 * its next tasks, each handed out under a lease; an acknowledged task is delivered, one not
 * acknowledged before its lease ends is offered again.
 */
import type { AgentWebhook } from '../protocol/index.js';
import { AppError } from '../errors.js';
import { agentTopic } from '../events/broker.js';
import { Waiter } from '../events/waiter.js';
import type { RelayContext } from '../relay/context.js';
import type { AgentRecord, DeliveryRecord } from '../store/records.js';
import { recordOutcome } from './outcomes.js';

export interface PulledTask {
  /** Acknowledge with this ID. It is also the webhook-id a push delivery would carry. */
  deliveryId: string;
  /** How many times this task has been handed out, this time included. */
  attempt: number;
  /** ISO 8601: acknowledge before this, or the task is offered again. */
  leaseExpiresAt: string;
  event: AgentWebhook;
}

async function claim(ctx: RelayContext, agent: AgentRecord, limit: number): Promise<PulledTask[]> {
  const now = ctx.now();
  const leaseUntil = now + ctx.config.pullLeaseMs;
  const claimed = await ctx.store.claimDeliveries({ mode: 'pull', now, limit, owner: `pull:${agent.id}`, leaseUntil, agentId: agent.id });
  if (claimed.length === 0) return [];
  // nextAttemptAt becomes the lease end: when the task will be offered again unless acknowledged
  // (what the operator page and the chat page show as "next attempt").
  await ctx.store.transaction(async (tx) => {
    for (const d of claimed) await tx.updateDelivery(d.id, { attempts: d.attempts + 1, nextAttemptAt: leaseUntil, updatedAt: now });
  });
  return claimed.map((d: DeliveryRecord) => ({
    deliveryId: d.id,
    attempt: d.attempts + 1,
    leaseExpiresAt: new Date(leaseUntil).toISOString(),
    event: JSON.parse(d.payload) as AgentWebhook,
  }));
}

/** Waits up to `waitMs` for tasks of `agent`; returns as soon as there are some. */
export async function pullTasks(
  ctx: RelayContext,
  agent: AgentRecord,
  options: { waitMs: number; limit: number; signal?: AbortSignal },
): Promise<PulledTask[]> {
  const signal = options.signal ? AbortSignal.any([options.signal, ctx.shutdown]) : ctx.shutdown;
  const waiter = new Waiter(ctx.broker, agentTopic(agent.id), signal);
  ctx.metrics.readers.inc({ kind: 'pull' });
  const deadline = ctx.now() + options.waitMs;
  try {
    for (;;) {
      waiter.arm();
      const tasks = await claim(ctx, agent, options.limit);
      const remaining = deadline - ctx.now();
      if (tasks.length > 0 || remaining <= 0 || signal.aborted) return tasks;
      // Also wake when a lease of an unacknowledged task ends, to offer it again.
      const due = await ctx.store.nextDeliveryDueAt('pull', agent.id);
      await waiter.wait(Math.min(remaining, due === null ? remaining : Math.max(10, due - ctx.now())));
    }
  } finally {
    waiter.close();
    ctx.metrics.readers.dec({ kind: 'pull' });
  }
}

/**
 * Marks a pulled task delivered. Acknowledging twice is fine, and so is acknowledging a task the
 * user canceled meanwhile (there is nothing left to do). Another agent's delivery is not found.
 */
export async function acknowledge(ctx: RelayContext, agent: AgentRecord, deliveryId: string): Promise<void> {
  const delivery = await ctx.store.getDelivery(deliveryId);
  if (delivery === null || delivery.agentId !== agent.id) throw new AppError('DELIVERY_NOT_FOUND');
  if (delivery.state === 'delivered' || delivery.state === 'canceled') return;
  if (delivery.state !== 'pending') {
    throw new AppError('DELIVERY_NOT_FOUND', `That delivery is ${delivery.state} and can no longer be acknowledged.`);
  }
  await recordOutcome(ctx, deliveryId, null, { kind: 'delivered', status: null });
  ctx.metrics.deliveries.inc({ outcome: 'delivered', attempt: String(Math.min(delivery.attempts, 20)) });
}
