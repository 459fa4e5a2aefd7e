/**
 * (f) Delivery to agents: tasks delivered per second to a local agent (node:http answering 200).
 * N tasks, each with a queued message for a push agent, are written to the database first; then the
 * server starts and its outbox worker delivers them (claim under lease, sign, POST, record the
 * outcome in a transaction). Rate = N ÷ (last − first arrival at the agent). Baseline: the same
 * agent hit directly by a node fetch() loop, same concurrency, same signing.
 * Goal: ≥ 2,000/s.
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

export const delivery: Bench = async ({ quick, log }) => {
  const count = quick ? 1000 : 20_000;
  const endpoint = await spawnWorker('baselines/agent-endpoint.ts');
  const loop = await spawnWorker('clients/fetch-loop.ts');
  try {
    const port = await endpoint.call<number>('listen');
    const url = `http://127.0.0.1:${port}/tasks`;

    log(`baseline: fetch loop, ${count} requests, ${CONCURRENCY} in flight`);
    await loop.call<FetchLoopResult>('run', { url, count: Math.min(count, quick ? 300 : 2000), concurrency: CONCURRENCY, secret: `whsec_${Buffer.alloc(32, 3).toString('base64')}` });
    await endpoint.call('reset');
    const base = await loop.call<FetchLoopResult>('run', { url, count, concurrency: CONCURRENCY, secret: `whsec_${Buffer.alloc(32, 3).toString('base64')}` });
    const baseStats = await endpoint.call<EndpointStats>('stats');
    const baseRate = baseStats.firstNs && baseStats.lastNs ? (baseStats.count - 1) / (msBetween(BigInt(baseStats.firstNs), BigInt(baseStats.lastNs)) / 1000) : null;
    await endpoint.call('reset');

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
    const r = ratio(rate, baseRate);
    return {
      figures: [
        {
          label: 'tasks delivered per second to a local agent',
          value: rate,
          unit: '/s',
          baseline: { label: `fetch loop, ${CONCURRENCY} in flight`, value: baseRate },
          ratio: r,
          goal: { text: '≥ 2,000/s', met: rate === null ? null : rate >= 2000 },
        },
      ],
      notes: [
        `${count.toLocaleString('en-US')} queued task messages for one push agent, DELIVERY_CONCURRENCY=${CONCURRENCY}; rate between the first and last arrival at the agent.`,
        `Server: ${stats.unique} of ${count} delivered (${stats.count - stats.unique} repeats), ${pending ?? '?'}${pending === 500 ? '+' : ''} still pending after the last arrival. ` +
          `Baseline: ${base.ok} ok, ${base.failed} failed in ${fmt(base.ms / 1000)} s.`,
      ],
      raw: { server: stats, baseline: { ...base, endpoint: baseStats } },
    };
  } finally {
    await loop.close();
    await endpoint.close();
  }
};
