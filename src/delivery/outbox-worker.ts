/**
 * The push-delivery worker. It claims due deliveries from the store under a lease (so several
 * instances never send the same one at once), sends each with a timeout, and records the outcome.
 * It sleeps until the next delivery is due, the relay notifies it of new work, or a poll interval
 * passes (for work queued by other instances).
 *
 * Three stages overlap, so that no stage waits for a commit of another:
 * - claimed: leased to us, waiting for a send slot (at most DELIVERY_CONCURRENCY of them);
 * - sending: an HTTP request is open (at most DELIVERY_CONCURRENCY: the limit the agent sees);
 * - recording: answered, its outcome is being committed. The lease is held until then, so a crash
 *   at any stage leaves the delivery to be sent again once the lease ends, with the same webhook-id.
 */
import { randomBytes } from 'node:crypto';
import type { OutboxSignal, RelayContext } from '../relay/context.js';
import type { AgentRecord, DeliveryRecord } from '../store/records.js';
import { HttpPoster } from './http-post.js';
import { recordOutcome, type Outcome } from './outcomes.js';
import { parseRetryAfter, retryDelay } from './retry-schedule.js';
import { sendDelivery, signingSecrets } from './sender.js';

/** How often an idle worker looks for work queued elsewhere. */
const IDLE_POLL_MS = 1000;
/** The most deliveries one claim takes. */
const CLAIM_BATCH = 256;

interface Claimed {
  delivery: DeliveryRecord;
  /** The agent as it was when the delivery was claimed (one read per agent per claim). */
  agent: AgentRecord | null;
}

export class OutboxWorker implements OutboxSignal {
  readonly owner = `w_${randomBytes(6).toString('hex')}`;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private pendingWake = false;
  /** Claimed, waiting for a send slot. */
  private readonly queue: Claimed[] = [];
  private sending = 0;
  /** Every delivery between its claim and its recorded outcome, by ID. */
  private readonly active = new Map<string, Promise<void>>();
  private readonly poster: HttpPoster;
  private readonly concurrency: number;
  /** The lease we take: long enough to wait for one slot and make one attempt. */
  private readonly leaseMs: number;

  constructor(private readonly ctx: RelayContext) {
    const { config } = ctx;
    this.concurrency = config.deliveryConcurrency;
    this.leaseMs = Math.max(config.deliveryLeaseMs, 2 * config.deliveryTimeoutMs + 1000);
    this.poster = new HttpPoster({ maxSockets: this.concurrency });
  }

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

  /**
   * Stops claiming and sending, waits for attempts in flight (up to `deadlineMs`), then gives back
   * every lease (including those of claimed deliveries never sent) so others can take them at once.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    for (const { delivery } of this.queue.splice(0)) this.active.delete(delivery.id);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.allSettled([...this.active.values()]), timeout]);
    clearTimeout(timer);
    await this.ctx.store.releaseLeases(this.owner).catch(() => undefined);
    this.poster.close();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.pendingWake = false;
      const room = Math.min(CLAIM_BATCH, this.concurrency - this.queue.length, 4 * this.concurrency - this.active.size);
      if (room > 0) {
        const claimed = await this.claim(room);
        this.pump();
        if (claimed === room) continue;
      }
      if (this.pendingWake && room > 0) continue;
      await this.sleep(room > 0 ? await this.untilNextDue() : IDLE_POLL_MS);
    }
  }

  /** Claims up to `limit` due deliveries into the queue; returns how many. */
  private async claim(limit: number): Promise<number> {
    const { store, log } = this.ctx;
    try {
      const now = this.ctx.now();
      const rows = await store.claimDeliveries({ mode: 'push', now, limit, owner: this.owner, leaseUntil: now + this.leaseMs });
      const agents = new Map<string, AgentRecord | null>();
      for (const delivery of rows) {
        // Our own earlier attempt is still running (its lease ran out under load): let it finish.
        if (this.active.has(delivery.id)) continue;
        if (!agents.has(delivery.agentId)) agents.set(delivery.agentId, await store.getAgent(delivery.agentId));
        this.queue.push({ delivery, agent: agents.get(delivery.agentId) ?? null });
        this.active.set(delivery.id, Promise.resolve());
      }
      return rows.length;
    } catch (error) {
      log.warn({ err: error }, 'outbox: could not claim deliveries');
      return 0;
    }
  }

  /** Starts sends while there are free slots and claimed deliveries. */
  private pump(): void {
    while (this.running && this.sending < this.concurrency && this.queue.length > 0) {
      const next = this.queue.shift() as Claimed;
      const done = this.attempt(next).finally(() => {
        this.active.delete(next.delivery.id);
        this.notify();
      });
      this.active.set(next.delivery.id, done);
    }
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
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async attempt({ delivery, agent }: Claimed): Promise<void> {
    const { ctx } = this;
    const attemptNumber = delivery.attempts + 1;
    let outcome: Outcome;
    this.sending++;
    try {
      outcome = await this.send(delivery, agent, attemptNumber);
    } catch (error) {
      // Not an answer from the agent (e.g. the store failed while disabling an endpoint): the
      // lease will end and the delivery will be tried again; nothing is lost.
      ctx.log.error({ err: error, deliveryId: delivery.id }, 'delivery attempt failed');
      return;
    } finally {
      this.sending--;
      this.pump();
    }
    try {
      ctx.metrics.deliveries.inc({ outcome: outcome.kind, attempt: String(Math.min(attemptNumber, 20)) });
      await recordOutcome(ctx, delivery.id, this.owner, outcome);
      if (outcome.kind === 'dead') ctx.log.warn({ deliveryId: delivery.id, error: outcome.error }, 'delivery dead-lettered');
    } catch (error) {
      // As above: the lease will expire and the delivery will be tried again.
      ctx.log.error({ err: error, deliveryId: delivery.id }, 'delivery attempt could not be recorded');
    }
  }

  private async send(delivery: DeliveryRecord, agent: AgentRecord | null, attempt: number): Promise<Outcome> {
    const { ctx } = this;
    if (agent === null) return { kind: 'dead', error: 'agent no longer exists', status: null, attempted: false };
    if (!agent.endpointUrl) return { kind: 'dead', error: 'agent has no endpoint URL (it was switched to pull mode)', status: null, attempted: false };
    if (agent.endpointDisabledAt !== null) {
      return { kind: 'dead', error: 'endpoint disabled after 410 Gone; set the agent\'s endpointUrl again to re-enable it', status: null, attempted: false };
    }
    const result = await sendDelivery(this.poster, delivery, new URL(agent.endpointUrl), signingSecrets(agent, ctx.now()), ctx.config.deliveryTimeoutMs);
    if (result.kind === 'delivered') return { kind: 'delivered', status: result.status };
    if (result.kind === 'gone') {
      const now = ctx.now();
      await ctx.store.updateAgent(agent.id, { endpointDisabledAt: now, updatedAt: now });
      return { kind: 'dead', error: 'endpoint answered 410 Gone and was disabled', status: 410, attempted: true };
    }
    const now = ctx.now();
    const schedule = ctx.config.deliveryRetrySchedule;
    if (attempt > schedule.length) {
      return { kind: 'dead', error: `${result.error} (gave up after ${attempt} attempts)`, status: result.status, attempted: true };
    }
    const wait = parseRetryAfter(result.retryAfter, now) ?? (retryDelay(schedule, attempt) as number);
    return { kind: 'retry', at: now + wait, error: result.error, status: result.status };
  }
}
