/**
 * (f) Delivery to agents: tasks delivered per second to a local agent (node:http answering 200).
 * N tasks, each with a queued message for a push agent, are written to the database first; then the
 * server starts and its outbox worker delivers them (claim under lease, sign, POST, record the
 * outcome in a transaction). Rate = N ÷ (last − first arrival at the agent). Baseline: the same
 * agent hit directly by a node fetch() loop, same concurrency, same signing.
 * Goal: ≥ 2,000/s, with every task delivered.
 */
import { join } from 'node:path';
import type { EndpointStats } from './baselines/agent-endpoint.js';
import type { FetchLoopResult } from './clients/fetch-loop.js';
import { tempDir } from './support/processes.js';
import { fmt, ratio, type Bench } from './support/report.js';
import { spawnWorker } from './support/rpc.js';
import { openSeedStore, seedAgent, seedTasks } from './support/seed.js';
import { startChatServer } from './support/server.js';
import { msBetween } from './support/stats.js';

const CONCURRENCY = 64;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A fast rate over part of the tasks is no pass: every task must have arrived, each counted once. */
export function deliveryGoalMet(rate: number | null, unique: number, count: number): boolean | null {
  return rate === null ? null : rate >= 2000 && unique === count;
}

export const delivery: Bench = async ({ quick, log }) => {
  const count = quick ? 1000 : 20_000;
  const endpoint = await spawnWorker('baselines/agent-endpoint.ts');
  const loop = await spawnWorker('clients/fetch-loop.ts');
  try {
    const port = await endpoint.call<number>('listen');
    const url = `http://127.0.0.1:${port}/tasks`;

    const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    const baselines: Record<'fetch' | 'http', { rate: number | null; result: FetchLoopResult }> = {} as never;
    for (const client of ['fetch', 'http'] as const) {
      log(`baseline: ${client} loop, ${count} requests, ${CONCURRENCY} in flight`);
      await loop.call<FetchLoopResult>('run', { url, count: Math.min(count, quick ? 300 : 2000), concurrency: CONCURRENCY, secret, client });
      await endpoint.call('reset');
      const result = await loop.call<FetchLoopResult>('run', { url, count, concurrency: CONCURRENCY, secret, client });
      const s = await endpoint.call<EndpointStats>('stats');
      baselines[client] = { rate: s.firstNs && s.lastNs ? (s.count - 1) / (msBetween(BigInt(s.firstNs), BigInt(s.lastNs)) / 1000) : null, result };
      await endpoint.call('reset');
    }

    log(`server: seeding ${count} queued tasks`);
    const dbPath = join(tempDir(), 'chat.db');
    const store = await openSeedStore(dbPath);
    const agent = await seedAgent(store, { name: 'delivery bench', endpointUrl: url });
    await seedTasks(store, agent, count);
    await store.close();
    const server = await startChatServer({ dbPath, env: { DELIVERY_CONCURRENCY: String(CONCURRENCY) } });
    let stats: EndpointStats;
    let pending: number | null = null;
    try {
      const deadline = Date.now() + (quick ? 60_000 : 300_000);
      for (;;) {
        stats = await endpoint.call<EndpointStats>('stats');
        if (stats.unique >= count || Date.now() > deadline) break;
        await sleep(100);
      }
      // The outcome of the last few is recorded just after they arrive.
      await sleep(500);
      const response = await fetch(`${server.url}/api/admin/deliveries?state=pending&limit=500`, { headers: { authorization: `Bearer ${server.adminToken}` } });
      pending = ((await response.json()) as { deliveries: unknown[] }).deliveries.length;
    } finally {
      await server.stop();
    }
    const rate = stats.firstNs && stats.lastNs ? (stats.unique - 1) / (msBetween(BigInt(stats.firstNs), BigInt(stats.lastNs)) / 1000) : null;
    return {
      figures: [
        {
          label: 'tasks delivered per second to a local agent',
          value: rate,
          unit: '/s',
          baseline: { label: `fetch() loop, ${CONCURRENCY} in flight`, value: baselines.fetch.rate },
          ratio: ratio(rate, baselines.fetch.rate),
          goal: { text: '≥ 2,000/s, every task delivered', met: deliveryGoalMet(rate, stats.unique, count) },
        },
        {
          label: 'tasks delivered per second (vs node:http loop)',
          value: rate,
          unit: '/s',
          baseline: { label: `node:http keep-alive loop, ${CONCURRENCY} in flight`, value: baselines.http.rate },
          ratio: ratio(rate, baselines.http.rate),
        },
      ],
      notes: [
        `${count.toLocaleString('en-US')} queued task messages for one push agent, DELIVERY_CONCURRENCY=${CONCURRENCY}; rate between the first and last arrival at the agent.`,
        `Server: ${stats.unique} of ${count} delivered (${stats.count - stats.unique} repeats), ${pending ?? '?'}${pending === 500 ? '+' : ''} still pending after the last arrival. ` +
          `Baselines: fetch() ${baselines.fetch.result.ok} ok, ${baselines.fetch.result.failed} failed in ${fmt(baselines.fetch.result.ms / 1000)} s; ` +
          `node:http ${baselines.http.result.ok} ok, ${baselines.http.result.failed} failed in ${fmt(baselines.http.result.ms / 1000)} s. ` +
          'The server sends with node:http keep-alive (src/delivery/http-post.ts), so the node:http loop is the like-for-like floor; a fetch() loop is CPU-bound in undici here.',
      ],
      raw: { server: stats, baselines },
    };
  } finally {
    await loop.close();
    await endpoint.close();
  }
};
