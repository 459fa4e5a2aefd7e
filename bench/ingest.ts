/**
 * (a) Webhook ingest: signed webhook-response requests per second, each verified, stored durably
 * and acknowledged after its commit, beside the floor (bare node:http + JSON.parse + one SQLite
 * insert with synchronous=NORMAL). Run with SQLITE_SYNCHRONOUS=FULL (the default) and NORMAL.
 */
import Database from 'better-sqlite3';
import type { LoadSummary, WebhookLoad } from './clients/load.js';
import { createAgent, createTasks } from './support/api.js';
import { startFloorServer } from './support/floor.js';
import { ratio, type Bench, type Figure } from './support/report.js';
import { spawnWorker } from './support/rpc.js';
import { startChatServer } from './support/server.js';

const CONNECTIONS = 64;

function countRows(dbPath: string, sql: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export const ingest: Bench = async ({ quick, log }) => {
  const durationS = quick ? 3 : 10;
  const warmupS = quick ? 1 : 2;
  const taskCount = quick ? 100 : 300;
  const presign = 16_000 * (durationS + warmupS);
  const load = await spawnWorker('clients/load.ts');
  const raw: Record<string, LoadSummary> = {};
  const notes: string[] = [];
  try {
    const run = (params: Omit<WebhookLoad, 'connections' | 'durationS' | 'warmupS' | 'presign'>) =>
      load.call<LoadSummary>('webhooks', { ...params, connections: CONNECTIONS, durationS, warmupS, presign });

    log('floor: bare node:http + JSON.parse + SQLite insert (NORMAL)');
    const floor = await startFloorServer();
    try {
      raw.floor = await run({ url: floor.url, path: '/', secret: 'whsec_' + Buffer.alloc(32, 1).toString('base64'), taskIds: ['t1', 't2', 't3'] });
    } finally {
      await floor.stop();
    }

    for (const sync of ['FULL', 'NORMAL'] as const) {
      log(`server: SQLITE_SYNCHRONOUS=${sync}`);
      const server = await startChatServer({ env: { SQLITE_SYNCHRONOUS: sync } });
      try {
        const agent = await createAgent(server.url, server.adminToken, { name: 'ingest bench' });
        const tasks = await createTasks(server.url, agent.id, taskCount);
        const before = countRows(server.dbPath, `SELECT COUNT(*) AS n FROM communications WHERE direction = 'agent'`);
        const result = await run({ url: server.url, secret: agent.signingSecret, taskIds: tasks.map((t) => t.taskId) });
        raw[sync] = result;
        await server.stop();
        const stored = countRows(server.dbPath, `SELECT COUNT(*) AS n FROM communications WHERE direction = 'agent'`) - before;
        const acked = result.ok + (result.warmupOk ?? 0);
        notes.push(`${sync}: ${acked} webhooks acknowledged (2xx), ${stored} answers stored; non-2xx ${result.non2xx}, errors ${result.errors}.`);
        if (stored !== acked) notes.push(`${sync}: WARNING stored (${stored}) ≠ acknowledged (${acked}).`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await load.close();
  }
  for (const [name, r] of Object.entries(raw)) {
    if (r.exhausted) notes.push(`${name}: the ${r.presigned} pre-signed requests ran out; the rest were signed during the run.`);
  }
  const floorRps = raw.floor?.rps ?? null;
  const figures: Figure[] = (['FULL', 'NORMAL'] as const).map((sync) => {
    const value = raw[sync]?.rps ?? null;
    const r = ratio(value, floorRps);
    return {
      label: `ingest, SQLITE_SYNCHRONOUS=${sync}${sync === 'FULL' ? ' (default)' : ''}`,
      value,
      unit: 'req/s',
      baseline: { label: 'node:http + insert, NORMAL', value: floorRps },
      ratio: r,
      goal: { text: 'ratio ≥ 0.8', met: r === null ? null : r >= 0.8 },
    };
  });
  figures.push({
    label: 'ingest ack latency p99, FULL',
    value: raw.FULL?.latencyMs.p99 ?? null,
    unit: 'ms',
    baseline: { label: 'floor p99', value: raw.floor?.latencyMs.p99 ?? null },
    ratio: ratio(raw.FULL?.latencyMs.p99, raw.floor?.latencyMs.p99),
  });
  notes.unshift(`${CONNECTIONS} connections, ${durationS} s after ${warmupS} s warm-up, ${taskCount} tasks, distinct webhook-ids and messageIds, Standard Webhooks signatures.`);
  return { figures, notes, raw };
};
