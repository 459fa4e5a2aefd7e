/**
 * Several Webhook Chat instances, each a separate process running src/main.ts, on one throwaway
 * PostgreSQL database, and a browser whose one session cookie is sent to any of them (as it would
 * be behind a load balancer).
 *
 * Inside `eventually`, always give `assert.ok` a message: without one, node:assert builds it by
 * parsing the test's source, which tsx has compiled to one long line, and a failing check then
 * costs seconds of CPU each time it is retried.
 */
import { Session } from '../support/client.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { startServer, type TestServer } from '../support/server.js';

export interface Cluster {
  pg: PostgresServer;
  /** The database every instance uses. */
  databaseUrl: string;
  instances: TestServer[];
  /** Stops every instance, then PostgreSQL. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL, makes a fresh database and starts `count` instances on it, all at once (so
 * their migrations race). If any fails to start, everything started is stopped before rejecting.
 */
export async function startCluster(count: number, env: Record<string, string> = {}): Promise<Cluster> {
  const pg = await startPostgres();
  let databaseUrl: string;
  try {
    databaseUrl = await pg.createDatabase();
  } catch (error) {
    await pg.stop();
    throw error;
  }
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startServer({ env: { DATABASE_URL: databaseUrl, ...env }, process: true })),
  );
  const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.allSettled(instances.map((i) => i.stop()));
    await pg.stop();
  };
  const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  return { pg, databaseUrl, instances, stop };
}

/**
 * One browser: one `wc_session` cookie, whichever instance set it, sent to every instance.
 * `on(url)` gives a Session (the usual test client) that shares this browser's cookie.
 */
export class Browser {
  /** `wc_session=…`, or empty before the first instance has set it. */
  cookie = '';

  on(baseUrl: string): Session {
    return new BrowserTab(baseUrl, this);
  }

  /** Headers that carry this browser's cookie, for openSse and plain fetch. */
  headers(): Record<string, string> {
    return this.cookie ? { cookie: this.cookie } : {};
  }
}

class BrowserTab extends Session {
  constructor(
    baseUrl: string,
    private readonly browser: Browser,
  ) {
    super(baseUrl);
  }

  override async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const response = await super.request(method, path, body, { ...this.browser.headers(), ...headers });
    for (const set of response.headers.getSetCookie()) {
      const pair = set.split(';')[0];
      if (pair?.startsWith('wc_session=')) this.browser.cookie = pair;
    }
    return response;
  }
}

/** The value of one Prometheus sample (summed over matching label sets), from an instance's /metrics. */
export async function metric(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Median and worst of some milliseconds, for printing. */
export function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return `n=${sorted.length} p50=${at(0.5).toFixed(1)} ms p90=${at(0.9).toFixed(1)} ms max=${(sorted.at(-1) ?? NaN).toFixed(1)} ms`;
}
