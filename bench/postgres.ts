/**
 * (g) PostgreSQL (issue 6): two Webhook Chat instances on one PostgreSQL.
 * - Cross-instance push: webhooks POSTed to instance A, SSE readers on instance B; latency
 *   p50/p99 beside a bare LISTEN/NOTIFY round trip between two pg clients (goal p99 ≤ 10 ms).
 * - Webhook ingest on PostgreSQL with 1 and with 2 instances, beside SQLite (FULL) in the same run.
 * PostgreSQL runs with its durable defaults (fsync on), like SQLite FULL.
 * Skipped when the PostgreSQL store, broker or test harness is not in the tree.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { DriveResult } from './clients/driver.js';
import type { LoadSummary } from './clients/load.js';
import type { ReaderStats } from './clients/readers.js';
import { createAgent, createTasks } from './support/api.js';
import { startBenchPostgres } from './support/postgres.js';
import { ROOT } from './support/processes.js';
import { fmt, ratio, type Bench, type Figure } from './support/report.js';
import { spawnWorker, type Worker } from './support/rpc.js';
import { startChatServer, type ChatServer } from './support/server.js';
import { msBetween, nowNs, Samples, summarize, type Summary } from './support/stats.js';

const REQUIRED = ['src/store/postgres/postgres-store.ts', 'src/events/postgres.ts', 'test/support/postgres.ts'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** NOTIFY from one client, LISTEN on another: the floor for any cross-instance wake-up. */
async function notifyRoundTrip(url: string, rate: number, durationMs: number): Promise<Summary> {
  const listener = new pg.Client({ connectionString: url });
  // A pool of one queues the NOTIFYs, so a slow one never holds up the schedule.
  const sender = new pg.Pool({ connectionString: url, max: 1 });
  await listener.connect();
  const samples = new Samples();
  try {
    listener.on('notification', (n) => {
      const at = nowNs();
      if (n.payload) samples.push(msBetween(BigInt(n.payload), at));
    });
    await listener.query('LISTEN bench_rtt');
    const total = Math.round((rate * durationMs) / 1000);
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      void sender.query(`SELECT pg_notify('bench_rtt', $1)`, [String(nowNs())]);
    }
    await sleep(200);
  } finally {
    await listener.end();
    await sender.end();
  }
  return summarize(samples.values());
}

async function ingest(load: Worker[], servers: ChatServer[], secret: string, taskIds: string[], durationS: number, warmupS: number): Promise<{ rps: number; p99: number; runs: LoadSummary[] }> {
  const connections = Math.max(8, Math.floor(64 / servers.length));
  const runs = await Promise.all(
    servers.map((s, i) =>
      (load[i] as Worker).call<LoadSummary>('webhooks', { url: s.url, secret, taskIds, connections, durationS, warmupS, presign: 8000 * (durationS + warmupS) }),
    ),
  );
  return { rps: runs.reduce((sum, r) => sum + r.rps, 0), p99: Math.max(...runs.map((r) => r.latencyMs.p99)), runs };
}

export const postgres: Bench = async ({ quick, log }) => {
  const missing = REQUIRED.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length > 0) return { figures: [], notes: [], skipped: `PostgreSQL store not present (${missing.join(', ')})` };
  const { postgresAvailability } = await import('../test/support/postgres.js');
  const availability = postgresAvailability();
  if (!availability.available) return { figures: [], notes: [], skipped: `PostgreSQL unavailable: ${availability.reason ?? ''}` };

  const taskCount = quick ? 50 : 500;
  const pushRate = 200;
  const pushMs = quick ? 2000 : 10_000;
  const durationS = quick ? 2 : 8;
  const warmupS = quick ? 0.5 : 1;
  const notes: string[] = [];
  const server = await startBenchPostgres();
  const load = [await spawnWorker('clients/load.ts'), await spawnWorker('clients/load.ts')];
  const driver = await spawnWorker('clients/driver.ts');
  const readers = await spawnWorker('clients/readers.ts');
  const servers: ChatServer[] = [];
  try {
    log('bare LISTEN/NOTIFY round trip');
    const bare = await notifyRoundTrip(server.url, pushRate, pushMs);

    const url = await server.createDatabase('bench_push');
    const env = { DATABASE_URL: url };
    servers.push(await startChatServer({ env }));
    servers.push(await startChatServer({ env }));
    const [a, b] = servers as [ChatServer, ChatServer];
    const agent = await createAgent(a.url, a.adminToken, { name: 'pg bench' });
    const tasks = await createTasks(a.url, agent.id, taskCount, 16);
    const taskIds = tasks.map((t) => t.taskId);

    const push = async (readerOn: ChatServer): Promise<{ drive: DriveResult; stats: ReaderStats }> => {
      const connected = await readers.call<{ failed: number }>('connect', { mode: 'sse', url: readerOn.url, tasks, concurrency: 50 });
      if (connected.failed > 0) throw new Error(`${connected.failed} SSE readers failed to connect`);
      await sleep(300);
      await driver.call('run', { url: a.url, secret: agent.signingSecret, taskIds, rate: pushRate, durationMs: 1000 });
      await sleep(300);
      await readers.call('reset');
      const drive = await driver.call<DriveResult>('run', { url: a.url, secret: agent.signingSecret, taskIds, rate: pushRate, durationMs: pushMs });
      await sleep(1000);
      const stats = await readers.call<ReaderStats>('stats');
      await readers.call('disconnect');
      return { drive, stats };
    };
    log('push: webhook to A, SSE reader on B');
    const cross = await push(b);
    log('push: webhook to A, SSE reader on A');
    const local = await push(a);

    log('ingest: PostgreSQL, 1 instance');
    const pg1 = await ingest(load, [a], agent.signingSecret, taskIds, durationS, warmupS);
    log('ingest: PostgreSQL, 2 instances');
    const pg2 = await ingest(load, [a, b], agent.signingSecret, taskIds, durationS, warmupS);
    await Promise.all(servers.map((s) => s.stop()));
    servers.length = 0;

    log('ingest: SQLite FULL, 1 instance');
    const lite = await startChatServer();
    servers.push(lite);
    const liteAgent = await createAgent(lite.url, lite.adminToken, { name: 'sqlite bench' });
    const liteTasks = await createTasks(lite.url, liteAgent.id, taskCount, 16);
    const sqlite = await ingest(load, [lite], liteAgent.signingSecret, liteTasks.map((t) => t.taskId), durationS, warmupS);

    const crossP99 = cross.stats.latency.p99;
    const figures: Figure[] = [
      {
        label: 'cross-instance push p99 (webhook → A, SSE on B)',
        value: crossP99,
        unit: 'ms',
        baseline: { label: 'bare LISTEN/NOTIFY p99', value: bare.p99 },
        ratio: ratio(crossP99, bare.p99),
        goal: { text: 'p99 ≤ 10 ms', met: crossP99 === null ? null : crossP99 <= 10 },
      },
      { label: 'cross-instance push p50', value: cross.stats.latency.p50, unit: 'ms', baseline: { label: 'bare LISTEN/NOTIFY p50', value: bare.p50 }, ratio: ratio(cross.stats.latency.p50, bare.p50) },
      { label: 'same-instance push p99 on PostgreSQL', value: local.stats.latency.p99, unit: 'ms', baseline: { label: 'cross-instance p99', value: crossP99 }, ratio: ratio(local.stats.latency.p99, crossP99) },
      { label: 'ingest on PostgreSQL, 1 instance', value: pg1.rps, unit: 'req/s', baseline: { label: 'SQLite FULL, 1 instance', value: sqlite.rps }, ratio: ratio(pg1.rps, sqlite.rps) },
      { label: 'ingest on PostgreSQL, 2 instances', value: pg2.rps, unit: 'req/s', baseline: { label: 'SQLite FULL, 1 instance', value: sqlite.rps }, ratio: ratio(pg2.rps, sqlite.rps) },
    ];
    notes.push(
      `PostgreSQL ${availability.binDir ?? ''} with fsync on; two instances, PG_POOL_SIZE default; ${taskCount} tasks; push at ${pushRate} webhooks/s for ${pushMs / 1000} s, ` +
        `one SSE reader per task. Cross: ${cross.stats.unique}/${cross.drive.acked} seen, p50 ${fmt(cross.stats.latency.p50)} / p99 ${fmt(crossP99)} / max ${fmt(cross.stats.latency.max)} ms, ` +
        `ack p99 ${fmt(cross.drive.ack.p99)} ms. Same instance: ${local.stats.unique}/${local.drive.acked} seen, p50 ${fmt(local.stats.latency.p50)} / p99 ${fmt(local.stats.latency.p99)} ms. ` +
        `Bare NOTIFY: ${bare.count} samples, p50 ${fmt(bare.p50)} / p99 ${fmt(bare.p99)} / max ${fmt(bare.max)} ms.`,
      `Ingest: 64 connections in total (split over the instances), ${durationS} s after ${warmupS} s warm-up; ack p99 ${fmt(pg1.p99)} ms (PG ×1), ${fmt(pg2.p99)} ms (PG ×2), ${fmt(sqlite.p99)} ms (SQLite). ` +
        `Non-2xx: ${[...pg1.runs, ...pg2.runs, ...sqlite.runs].reduce((n, r) => n + r.non2xx + r.errors, 0)}.`,
    );
    return { figures, notes, raw: { bare, cross, local, pg1, pg2, sqlite } };
  } finally {
    await readers.close();
    await driver.close();
    await Promise.all(load.map((w) => w.close()));
    await Promise.all(servers.map((s) => s.stop()));
    await server.stop();
  }
};
