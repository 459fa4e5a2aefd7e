/**
 * (b) get-responses for one task that holds 1,000,000 rows, beside the same task shape with
 * 10,000. The request is the page's poll: the newest answers after its cursor
 * (`after = lastSeq − 10`, so five answers and the task view come back). Goal: the latency with
 * 1M rows is within 1.2× of the latency with 10k.
 */
import { join } from 'node:path';
import type { LoadSummary } from './clients/load.js';
import { tempDir } from './support/processes.js';
import { ratio, type Bench } from './support/report.js';
import { median } from './support/stats.js';
import { spawnWorker } from './support/rpc.js';
import { openSeedStore, seedAgent, seedConversation } from './support/seed.js';
import { startChatServer, type ChatServer } from './support/server.js';

const CONNECTIONS = 32;

async function seeded(rows: number, log: (line: string) => void): Promise<{ server: ChatServer; path: string; cookie: string; seedSeconds: number }> {
  const dbPath = join(tempDir(), 'chat.db');
  const t0 = performance.now();
  const store = await openSeedStore(dbPath);
  const agent = await seedAgent(store, { name: 'reader bench' });
  const task = await seedConversation(store, agent, rows, (done) => {
    if (done % 200_000 === 0) log(`  seeded ${done.toLocaleString('en-US')} rows`);
  });
  await store.close();
  const seedSeconds = (performance.now() - t0) / 1000;
  const server = await startChatServer({ dbPath });
  const path = `/api/communications/get-responses?taskId=${encodeURIComponent(task.taskId)}&after=${task.lastSeq - 10}`;
  // A sanity check that the request reads what we think it reads.
  const check = await fetch(`${server.url}${path}`, { headers: { cookie: task.cookie } });
  const body = (await check.json()) as { responses?: unknown[] };
  if (check.status !== 200 || body.responses?.length !== 5) {
    throw new Error(`get-responses check failed: ${check.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
  return { server, path, cookie: task.cookie, seedSeconds };
}

export const getResponses: Bench = async ({ quick, log }) => {
  const bigRows = quick ? 100_000 : 1_000_000;
  const smallRows = 10_000;
  const rounds = quick ? 1 : 5;
  const durationS = quick ? 2 : 5;
  log(`seeding ${bigRows.toLocaleString('en-US')} rows`);
  const big = await seeded(bigRows, log);
  log(`seeding ${smallRows.toLocaleString('en-US')} rows`);
  const small = await seeded(smallRows, log);
  const load = await spawnWorker('clients/load.ts');
  const runs: { big: LoadSummary[]; small: LoadSummary[] } = { big: [], small: [] };
  try {
    // Alternating rounds, so a burst of other load on the machine hits both sides alike.
    for (let round = 0; round < rounds; round++) {
      for (const [name, s] of [['big', big], ['small', small]] as const) {
        log(`round ${round + 1}: ${name}`);
        runs[name].push(
          await load.call<LoadSummary>('get', { url: s.server.url, path: s.path, headers: { cookie: s.cookie }, connections: CONNECTIONS, durationS, warmupS: 1 }),
        );
      }
    }
  } finally {
    await load.close();
    await big.server.stop();
    await small.server.stop();
  }
  // Per-round ratios (each big run beside the small run right after it), then the median.
  const med = (list: LoadSummary[], pick: (r: LoadSummary) => number): number => median(list.map(pick));
  const paired = (pick: (r: LoadSummary) => number): number | null => {
    const list = runs.big.map((b, i) => ratio(pick(b), runs.small[i] ? pick(runs.small[i] as LoadSummary) : null)).filter((r): r is number => r !== null);
    return list.length > 0 ? median(list) : null;
  };
  const mean = (r: LoadSummary): number => r.latencyMs.mean;
  const p99 = (r: LoadSummary): number => r.latencyMs.p99;
  const rps = (r: LoadSummary): number => r.rps;
  const bigLabel = quick ? '100k rows' : '1M rows';
  const latencyRatio = paired(mean);
  return {
    figures: [
      { label: `get-responses, ${bigLabel}`, value: med(runs.big, rps), unit: 'req/s', baseline: { label: '10k rows', value: med(runs.small, rps) }, ratio: paired(rps) },
      {
        label: `get-responses mean latency, ${bigLabel}`,
        value: med(runs.big, mean),
        unit: 'ms',
        baseline: { label: '10k rows', value: med(runs.small, mean) },
        ratio: latencyRatio,
        goal: { text: 'ratio ≤ 1.2', met: latencyRatio === null ? null : latencyRatio <= 1.2 },
      },
      { label: `get-responses p99, ${bigLabel}`, value: med(runs.big, p99), unit: 'ms', baseline: { label: '10k rows', value: med(runs.small, p99) }, ratio: paired(p99) },
    ],
    notes: [
      `One task holding ${bigRows.toLocaleString('en-US')} rows (half user messages with their deliveries, half answers) vs ${smallRows.toLocaleString('en-US')}; ` +
        `poll with after=lastSeq−10 and the owner's session cookie; ${CONNECTIONS} connections, ${rounds} rounds of ${durationS} s (big then small); ` +
        'values are medians over rounds, ratios the median of per-round ratios.' +
        (quick ? ' Quick mode: 100k rows stand in for 1M.' : ''),
      `Seeding took ${big.seedSeconds.toFixed(1)} s (${bigLabel}) and ${small.seedSeconds.toFixed(1)} s (10k).`,
    ],
    raw: runs,
  };
};
