/** What the relay functions need. Built once by buildApp and passed down; nothing is global. */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Broker } from '../events/broker.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';

/** Lets the relay tell the delivery worker that new work is queued, without depending on it. */
export interface OutboxSignal {
  notify(): void;
}

export interface RelayContext {
  readonly config: Config;
  readonly store: Store;
  readonly broker: Broker;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  /** Epoch milliseconds; tests may not replace it, but keeping it here keeps time in one place. */
  readonly now: () => number;
  /** How agents reach us (responseUrl); set from PUBLIC_URL, or from the listening address. */
  publicUrl: string;
  /** Set by the delivery worker when it starts. */
  outbox: OutboxSignal;
  /** Aborted when shutdown begins: long-polls answer at once instead of holding the server open. */
  readonly shutdown: AbortSignal;
}

/** The base URL agents use to reach us. */
export function publicBaseUrl(config: Config, listening?: { port: number }): string {
  if (config.publicUrl) return config.publicUrl;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listening?.port ?? config.port}`;
}
