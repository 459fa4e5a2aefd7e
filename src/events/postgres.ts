/**
 * A broker shared by every instance on one PostgreSQL database, over LISTEN/NOTIFY.
 *
 * Each instance keeps one dedicated connection that LISTENs on one channel; a notification's
 * payload is the topic, then a space and the hint when there is one and it fits in a NOTIFY. Publishing wakes this instance's subscribers at once, in process, and sends
 * a NOTIFY through a small pool for the other instances. The echo of our own NOTIFY is recognised
 * by the sending backend's PID and dropped, so nobody is woken twice.
 *
 * Events carry no data, so losing some is safe: when the listening connection drops, it reconnects
 * with backoff and then wakes every subscriber, which makes each reader look at the store again.
 */
import pg from 'pg';
import type { ClientBase, Notification } from 'pg';
import { hintText, type Broker, type Hint, type Topic } from './broker.js';
import { LocalBroker } from './local.js';

export interface PostgresBrokerOptions {
  /** Connection string, `postgres://user@host:port/database`. */
  url: string;
  /** The NOTIFY channel; instances that should wake each other use the same one. Default `webhook_chat`. */
  channel?: string;
  /** Told about failures nobody awaits: a lost listener, a failed reconnect, a NOTIFY that could not be sent. */
  onError?: (error: Error) => void;
  /** First delay before reconnecting the listener; it doubles on each failure. Default 100 ms. */
  reconnectMinDelayMs?: number;
  /** Longest delay between reconnect attempts. Default 5000 ms. */
  reconnectMaxDelayMs?: number;
  /** How long a connection attempt may take. Default 2000 ms. */
  connectionTimeoutMillis?: number;
  /**
   * How often the listener proves its connection is alive with a query. A connection cut by a
   * silent network partition is otherwise noticed only by TCP keepalive, hours later, and until
   * then no wake-up from other instances arrives. Default 10000 ms.
   */
  healthCheckMillis?: number;
}

const isTopic = (payload: string): payload is Topic => payload.startsWith('task:') || payload.startsWith('agent:');

/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more; a longer hint is dropped, not the wake-up. */
const MAX_PAYLOAD_BYTES = 7999;

/** A topic waiting for the next NOTIFY round trip: the publishers waiting on it, and its hint. */
interface PendingTopic {
  resolvers: Array<() => void>;
  /** null once two publishes of the topic met in one batch: which hint is newest is unknown, so neither is sent. */
  hint: string | null;
}

export class PostgresBroker implements Broker {
  private readonly local = new LocalBroker();
  private readonly channel: string;
  private readonly publisher: pg.Pool;
  /** Backend PIDs of our publishing connections, to recognise our own NOTIFYs coming back. */
  private readonly ownPids = new Map<ClientBase, number>();
  private listener: pg.Client | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private delay: number;
  private reconnectCount = 0;
  /** Topics waiting for the next NOTIFY round trip. */
  private pending = new Map<Topic, PendingTopic>();
  private sending = false;
  private closed = false;

  constructor(private readonly options: PostgresBrokerOptions) {
    this.channel = options.channel ?? 'webhook_chat';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.channel)) throw new Error(`invalid channel name "${this.channel}"`);
    this.delay = options.reconnectMinDelayMs ?? 100;
    this.publisher = new pg.Pool({
      connectionString: options.url,
      max: 1,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 2000,
      keepAlive: true,
      application_name: 'webhook-chat-publish',
      onConnect: async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        if (rows[0]) this.ownPids.set(client, rows[0].pid);
      },
    });
    this.publisher.on('error', (error) => this.report(error));
    this.publisher.on('remove', (client) => this.ownPids.delete(client));
  }

  /** Connects the listener. Rejects if the database cannot be reached now; later drops are healed. */
  async start(): Promise<void> {
    await this.listen();
  }

  /** True while the listening connection is up; false during a reconnect. */
  get listening(): boolean {
    return this.listener !== null;
  }

  /** How many times the listener has reconnected, for metrics and tests. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  publish(topic: Topic, lazyHint?: Hint): Promise<void> {
    if (this.closed) return Promise.resolve();
    // Made at once: other instances may have readers even when this one has none.
    const hint = hintText(lazyHint);
    this.local.deliver(topic, hint);
    return new Promise<void>((resolve) => {
      const waiting = this.pending.get(topic);
      if (waiting) {
        waiting.resolvers.push(resolve);
        waiting.hint = null;
      } else {
        this.pending.set(topic, { resolvers: [resolve], hint: hint ?? null });
      }
      if (!this.sending) {
        this.sending = true;
        queueMicrotask(() => void this.flush());
      }
    });
  }

  subscribe(topic: Topic, wake: (hint?: string) => void): () => void {
    return this.local.subscribe(topic, wake);
  }

  subscriberCount(): number {
    return this.local.subscriberCount();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
    const listener = this.listener;
    this.listener = null;
    await Promise.all([listener?.end().catch(() => undefined), this.publisher.end().catch(() => undefined)]);
    this.settlePending();
    await this.local.close();
  }

  /**
   * Sends pending topics as one statement per round trip: publishes arriving while a NOTIFY is in
   * flight are batched (and de-duplicated) into the next one. A failure is reported, never thrown:
   * local subscribers were already woken, and remote ones re-check the store when they reconnect.
   */
  private async flush(): Promise<void> {
    try {
      while (this.pending.size > 0 && !this.closed) {
        const batch = this.pending;
        this.pending = new Map();
        try {
          await this.publisher.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [
            this.channel,
            [...batch].map(([topic, { hint }]) => payloadOf(topic, hint)),
          ]);
        } catch (error) {
          this.report(error);
        }
        for (const { resolvers } of batch.values()) for (const resolve of resolvers) resolve();
      }
    } finally {
      this.sending = false;
      if (this.closed) this.settlePending();
    }
  }

  private settlePending(): void {
    const batch = this.pending;
    this.pending = new Map();
    for (const { resolvers } of batch.values()) for (const resolve of resolvers) resolve();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.connectionTimeoutMillis ?? 2000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      query_timeout: 5000,
      application_name: 'webhook-chat-listen',
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('listener connection ended')));
    client.on('notification', (n) => this.onNotification(n));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.watch(client);
  }

  private healthTimer: NodeJS.Timeout | null = null;

  /** Checks the listener now and then; a check that fails or times out counts as a lost connection. */
  private watch(client: pg.Client): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = setInterval(() => {
      if (this.listener !== client) return;
      client.query('SELECT 1').catch((error: unknown) => this.lost(client, error instanceof Error ? error : new Error(String(error))));
    }, this.options.healthCheckMillis ?? 10_000);
    this.healthTimer.unref();
  }

  private onNotification(n: Notification): void {
    if (n.channel !== this.channel || n.payload === undefined) return;
    const space = n.payload.indexOf(' ');
    const topic = space === -1 ? n.payload : n.payload.slice(0, space);
    if (!isTopic(topic)) return;
    for (const pid of this.ownPids.values()) if (pid === n.processId) return;
    this.local.deliver(topic, space === -1 ? undefined : n.payload.slice(space + 1));
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.listener !== client) return;
    this.listener = null;
    this.report(error);
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const max = this.options.reconnectMaxDelayMs ?? 5000;
    // Jitter keeps instances that lost the same server from reconnecting in lockstep.
    const wait = this.delay * (0.75 + Math.random() * 0.5);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.listen().then(
        () => {
          if (this.closed) return;
          this.delay = this.options.reconnectMinDelayMs ?? 100;
          this.reconnectCount++;
          // Anything published while we were away was missed: every reader re-checks the store.
          this.local.wakeAll();
        },
        (error: unknown) => {
          this.report(error);
          this.delay = Math.min(this.delay * 2, max);
          this.scheduleReconnect();
        },
      );
    }, wait);
  }

  private report(error: unknown): void {
    if (this.closed) return;
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

/** `topic`, or `topic hint` when the hint fits in a NOTIFY. */
function payloadOf(topic: Topic, hint: string | null): string {
  if (hint === null) return topic;
  const payload = `${topic} ${hint}`;
  return Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES ? payload : topic;
}
