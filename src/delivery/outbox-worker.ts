/**
 * The push-delivery worker. It claims due deliveries from the store under a lease (so several
 * instances never send the same one at once), sends each with a timeout, and records the outcome.
 * It sleeps until the next delivery is due, the relay notifies it of new work, or a poll interval
 * passes (for work queued by other instances).
 */
import { randomBytes } from 'node:crypto';
import type { OutboxSignal, RelayContext } from '../relay/context.js';
import type { AgentRecord, DeliveryRecord } from '../store/records.js';
import { recordOutcome, type Outcome } from './outcomes.js';
import { parseRetryAfter, retryDelay } from './retry-schedule.js';
import { sendDelivery, type SendResult } from './sender.js';

/** How often an idle worker looks for work queued elsewhere. */
const IDLE_POLL_MS = 1000;

export class OutboxWorker implements OutboxSignal {
  readonly owner = `w_${randomBytes(6).toString('hex')}`;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private pendingWake = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly ctx: RelayContext) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.ctx.outbox = this;
    this.loop = this.run();
  }

  notify(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  /** Stops claiming, waits for attempts in flight (up to `deadlineMs`), then gives back leases. */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    await this.ctx.store.releaseLeases(this.owner).catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { config, store, log } = this.ctx;
    while (this.running) {
      this.pendingWake = false;
      const free = config.deliveryConcurrency - this.inFlight.size;
      let claimed: DeliveryRecord[] = [];
      if (free > 0) {
        try {
          const now = this.ctx.now();
          claimed = await store.claimDeliveries({ mode: 'push', now, limit: Math.min(free, 256), owner: this.owner, leaseUntil: now + config.deliveryLeaseMs });
        } catch (error) {
          log.warn({ err: error }, 'outbox: could not claim deliveries');
        }
      }
      for (const delivery of claimed) this.track(this.attempt(delivery));
      if (claimed.length > 0 && claimed.length === Math.min(free, 256)) continue;
      if (this.pendingWake && free > 0) continue;
      await this.sleep(free > 0 ? await this.untilNextDue() : IDLE_POLL_MS);
    }
  }

  private track(promise: Promise<void>): void {
    this.inFlight.add(promise);
    void promise.finally(() => {
      this.inFlight.delete(promise);
      this.notify();
    });
  }

  private async untilNextDue(): Promise<number> {
    try {
      const due = await this.ctx.store.nextDeliveryDueAt('push');
      if (due === null) return IDLE_POLL_MS;
      return Math.max(0, Math.min(IDLE_POLL_MS, due - this.ctx.now()));
    } catch {
      return IDLE_POLL_MS;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running || this.pendingWake) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }

  private async attempt(delivery: DeliveryRecord): Promise<void> {
    const { ctx } = this;
    const attemptNumber = delivery.attempts + 1;
    try {
      const agent = await ctx.store.getAgent(delivery.agentId);
      const outcome = await this.send(delivery, agent, attemptNumber);
      ctx.metrics.deliveries.inc({ outcome: outcome.kind, attempt: String(Math.min(attemptNumber, 20)) });
      await recordOutcome(ctx, delivery.id, this.owner, outcome);
      if (outcome.kind === 'dead') ctx.log.warn({ deliveryId: delivery.id, error: outcome.error }, 'delivery dead-lettered');
    } catch (error) {
      // The lease will expire and the delivery will be tried again; nothing is lost.
      ctx.log.error({ err: error, deliveryId: delivery.id }, 'delivery attempt could not be recorded');
    }
  }

  private async send(delivery: DeliveryRecord, agent: AgentRecord | null, attempt: number): Promise<Outcome> {
    const { ctx } = this;
    if (agent === null) return { kind: 'dead', error: 'agent no longer exists', status: null };
    if (!agent.endpointUrl) return { kind: 'dead', error: 'agent has no endpoint URL', status: null };
    if (agent.endpointDisabledAt !== null) {
      return { kind: 'dead', error: 'endpoint disabled after 410 Gone; update the agent to re-enable it', status: null };
    }
    const result: SendResult = await sendDelivery(delivery, agent.endpointUrl, agent.signingSecret, ctx.config.deliveryTimeoutMs);
    if (result.kind === 'delivered') return { kind: 'delivered', status: result.status };
    if (result.kind === 'gone') {
      const now = ctx.now();
      await ctx.store.updateAgent(agent.id, { endpointDisabledAt: now, updatedAt: now });
      return { kind: 'dead', error: 'endpoint answered 410 Gone and was disabled', status: 410 };
    }
    const now = ctx.now();
    const wait = parseRetryAfter(result.retryAfter, now) ?? retryDelay(ctx.config.deliveryRetrySchedule, attempt);
    if (wait === null || attempt > ctx.config.deliveryRetrySchedule.length) {
      return { kind: 'dead', error: `${result.error} (after ${attempt} attempts)`, status: result.status };
    }
    return { kind: 'retry', at: now + wait, error: result.error, status: result.status };
  }
}
