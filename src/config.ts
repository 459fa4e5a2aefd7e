/**
 * Configuration comes only from the environment variables documented here and in the README.
 * It is parsed once at start-up; a bad value stops start-up with a message naming the variable.
 */

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string };

export interface Config {
  /** PORT: TCP port to listen on (0 picks a free one). Default 3000. */
  readonly port: number;
  /** HOST: interface to bind. Default 127.0.0.1. */
  readonly host: string;
  /** DATABASE_URL: `sqlite:PATH`, `sqlite::memory:`, a bare path, or `postgres://…`. */
  readonly database: DatabaseConfig;
  /** SQLITE_SYNCHRONOUS: FULL (default, survives power loss) or NORMAL (survives process crashes). */
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
  /** PG_POOL_SIZE: connections per instance in PostgreSQL mode. Default 10. */
  readonly pgPoolSize: number;
  /** ADMIN_TOKEN: bearer token for the admin API and operator page; unset disables them. */
  readonly adminToken: string | null;
  /** PUBLIC_URL: how agents reach this server (used for `responseUrl`). Default http://HOST:PORT. */
  readonly publicUrl: string | null;
  /** ENABLE_TEST_ENDPOINT: turn on POST /api/communications/test-response. Default off. */
  readonly enableTestEndpoint: boolean;
  /** DEMO: create the Echo demo agent and run it in-process over real HTTP. */
  readonly demo: boolean;
  /** LOG_LEVEL: pino level. Default info. */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** DELIVERY_RETRY_SCHEDULE: waits between delivery attempts, e.g. `5s,5m,30m,2h,5h,10h`. */
  readonly deliveryRetrySchedule: readonly number[];
  /** DELIVERY_TIMEOUT_MS: how long one delivery attempt may take. Default 10000. */
  readonly deliveryTimeoutMs: number;
  /** DELIVERY_CONCURRENCY: deliveries in flight at once per instance. Default 64. */
  readonly deliveryConcurrency: number;
  /**
   * DELIVERY_LEASE_MS: how long a worker owns a claimed delivery. Default 60000. The worker uses at
   * least 2 × DELIVERY_TIMEOUT_MS + 1 s, so a slow attempt never outlives its lease.
   */
  readonly deliveryLeaseMs: number;
  /** PULL_LEASE_MS: how long a pulled task stays leased before it is offered again. Default 30000. */
  readonly pullLeaseMs: number;
  /** STATUS_TTL_MS: how long an agent status ("working") lasts unless refreshed. Default 30000. */
  readonly statusTtlMs: number;
  /** TURN_TIMEOUT_MS: an unanswered turn is marked failed after this long. Default 600000. */
  readonly turnTimeoutMs: number;
  /** STILL_WAITING_MS: after this long without an answer the page says "still waiting". Default 30000. */
  readonly stillWaitingMs: number;
  /** BODY_LIMIT_BYTES: largest accepted request body. Default 262144 (256 KB). */
  readonly bodyLimitBytes: number;
  /** SSE_HEARTBEAT_MS: interval of heartbeat comments on each stream. Default 15000. */
  readonly sseHeartbeatMs: number;
  /** MAX_STREAMS_PER_SESSION: concurrent SSE streams one browser session may hold. Default 8. */
  readonly maxStreamsPerSession: number;
  /** RATE_LIMIT_AGENT_PER_MINUTE: webhook requests per agent token per minute. Default 12000. */
  readonly rateLimitAgentPerMinute: number;
  /** RATE_LIMIT_SESSION_PER_MINUTE: page requests per browser session per minute. Default 600. */
  readonly rateLimitSessionPerMinute: number;
  /** SHUTDOWN_TIMEOUT_MS: deadline for a graceful shutdown on SIGTERM. Default 10000. */
  readonly shutdownTimeoutMs: number;
  /** TRUST_PROXY: trust X-Forwarded-* from a load balancer. Default off. */
  readonly trustProxy: boolean;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `must be true or false (1/0, yes/no, on/off), got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = (allowed as readonly string[]).find((a) => a.toLowerCase() === raw.trim().toLowerCase());
  if (value === undefined) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return value as T;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `5s,5m,30m,2h` into milliseconds. Exported for the CLI and tests. */
export function parseDurationList(raw: string, name = 'DELIVERY_RETRY_SCHEDULE'): number[] {
  const parts = raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0 || parts.length > 50) throw new ConfigError(name, 'must list 1 to 50 durations');
  return parts.map((part) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(part);
    if (!match) throw new ConfigError(name, `has "${part}", which is not a duration like 500ms, 5s, 5m, 2h or 1d`);
    return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
  });
}

function database(env: Env): DatabaseConfig {
  const raw = (env.DATABASE_URL ?? '').trim();
  if (raw === '') return { kind: 'sqlite', path: './data/webhook-chat.db' };
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw };
  }
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL', 'needs a path after sqlite:, e.g. sqlite:./data/chat.db or sqlite::memory:');
    return { kind: 'sqlite', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new ConfigError('DATABASE_URL', `has an unsupported scheme; use sqlite:PATH or postgres://…`);
  }
  return { kind: 'sqlite', path: raw };
}

function publicUrl(env: Env): string | null {
  const raw = (env.PUBLIC_URL ?? '').trim();
  if (raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('PUBLIC_URL', `is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('PUBLIC_URL', 'must be http or https');
  return raw.replace(/\/+$/, '');
}

function adminToken(env: Env): string | null {
  const raw = env.ADMIN_TOKEN;
  if (raw === undefined || raw === '') return null;
  if (raw.length < 16) throw new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters');
  return raw;
}

/** Reads, validates and freezes the configuration. `defaults` are env values the caller prefers. */
export function loadConfig(env: Env = process.env, defaults: Env = {}): Config {
  const merged: Env = { ...defaults };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  const config: Config = {
    port: integer(merged, 'PORT', 3000, 0, 65535),
    host: (merged.HOST ?? '').trim() || '127.0.0.1',
    database: database(merged),
    sqliteSynchronous: oneOf(merged, 'SQLITE_SYNCHRONOUS', 'FULL', ['FULL', 'NORMAL'] as const),
    pgPoolSize: integer(merged, 'PG_POOL_SIZE', 10, 1, 1000),
    adminToken: adminToken(merged),
    publicUrl: publicUrl(merged),
    enableTestEndpoint: flag(merged, 'ENABLE_TEST_ENDPOINT', false),
    demo: flag(merged, 'DEMO', false),
    logLevel: oneOf(merged, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    deliveryRetrySchedule: Object.freeze(parseDurationList(merged.DELIVERY_RETRY_SCHEDULE ?? '5s,5m,30m,2h,5h,10h')),
    deliveryTimeoutMs: integer(merged, 'DELIVERY_TIMEOUT_MS', 10_000, 100, 300_000),
    deliveryConcurrency: integer(merged, 'DELIVERY_CONCURRENCY', 64, 1, 10_000),
    deliveryLeaseMs: integer(merged, 'DELIVERY_LEASE_MS', 60_000, 1_000, 3_600_000),
    pullLeaseMs: integer(merged, 'PULL_LEASE_MS', 30_000, 100, 3_600_000),
    statusTtlMs: integer(merged, 'STATUS_TTL_MS', 30_000, 100, 3_600_000),
    turnTimeoutMs: integer(merged, 'TURN_TIMEOUT_MS', 600_000, 1_000, 30 * 86_400_000),
    stillWaitingMs: integer(merged, 'STILL_WAITING_MS', 30_000, 1_000, 30 * 86_400_000),
    bodyLimitBytes: integer(merged, 'BODY_LIMIT_BYTES', 262_144, 1_024, 10 * 1_048_576),
    sseHeartbeatMs: integer(merged, 'SSE_HEARTBEAT_MS', 15_000, 100, 300_000),
    maxStreamsPerSession: integer(merged, 'MAX_STREAMS_PER_SESSION', 8, 1, 1_000),
    rateLimitAgentPerMinute: integer(merged, 'RATE_LIMIT_AGENT_PER_MINUTE', 12_000, 1, 10_000_000),
    rateLimitSessionPerMinute: integer(merged, 'RATE_LIMIT_SESSION_PER_MINUTE', 600, 1, 10_000_000),
    shutdownTimeoutMs: integer(merged, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    trustProxy: flag(merged, 'TRUST_PROXY', false),
  };
  return Object.freeze(config);
}
