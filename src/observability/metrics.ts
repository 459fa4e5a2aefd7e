/**
 * Prometheus metrics via prom-client. Each app gets its own registry, so several apps can run in
 * one process (tests) without clashing.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  /** Pending deliveries, read on each scrape. */
  outboxBacklog(): Promise<number>;
  /** One database round trip, timed on each scrape. */
  pingDatabase(): Promise<void>;
  /** The SQLite write-ahead log's size in bytes, read on each scrape (SQLite on a file only). */
  walBytes?: () => number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
    registers: [this.registry],
  });
  readonly webhookResults = new Counter({
    name: 'webhook_results_total',
    help: 'Agent webhook requests by outcome: stored, duplicate, or rejected_<reason>.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'deliveries_total',
    help: 'Delivery attempts to agent endpoints by outcome and attempt number.',
    labelNames: ['outcome', 'attempt'] as const,
    registers: [this.registry],
  });
  readonly readers = new Gauge({
    name: 'readers_connected',
    help: 'Readers waiting for answers, by kind (sse, longpoll, pull).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly databaseDuration = new Histogram({
    name: 'database_query_duration_seconds',
    help: 'Store call latency by operation: "transaction" (one commit, queueing included) or the read or write method called, such as getTask or claimDeliveries.',
    labelNames: ['operation'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** Records one store call; give it to timedStore (see openStore). */
  readonly timeStore = (operation: string, seconds: number): void => {
    this.databaseDuration.observe({ operation }, seconds);
  };
  private sources: MetricsSources | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const sources = (): MetricsSources | null => this.sources;
    new Gauge({
      name: 'outbox_backlog',
      help: 'Deliveries waiting to be sent or retried.',
      registers: [this.registry],
      async collect() {
        const from = sources();
        if (from) this.set(await from.outboxBacklog().catch(() => -1));
      },
    });
    new Gauge({
      name: 'database_ping_seconds',
      help: 'Latency of one database round trip, measured at scrape time.',
      registers: [this.registry],
      async collect() {
        const from = sources();
        if (!from) return;
        const start = process.hrtime.bigint();
        try {
          await from.pingDatabase();
          this.set(Number(process.hrtime.bigint() - start) / 1e9);
        } catch {
          this.set(-1);
        }
      },
    });
  }

  attach(sources: MetricsSources): void {
    this.sources = sources;
    const walBytes = sources.walBytes;
    if (walBytes) {
      new Gauge({
        name: 'sqlite_wal_bytes',
        help: 'Size of the SQLite write-ahead log file. It stays at a few MB under steady traffic; one that keeps growing means checkpoints cannot finish.',
        registers: [this.registry],
        collect() {
          this.set(walBytes());
        },
      });
    }
  }
}
