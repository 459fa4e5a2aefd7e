/**
 * `--soak` (issue 7, bench only): ten minutes at a steady webhook rate with SSE readers attached.
 * Reports the server's RSS at the start and the end, and the webhook → reader p99 for each minute.
 * With --quick: one minute, in 10 s windows.
 */
import { join } from 'node:path';
import type { DriveResult } from './clients/driver.js';
import type { ReaderStats } from './clients/readers.js';
import { rssBytes, settledRss } from './support/proc-stats.js';
import { tempDir } from './support/processes.js';
import { fmt, ratio, type Bench } from './support/report.js';
import { spawnWorker } from './support/rpc.js';
import { openSeedStore, seedAgent, seedTasks } from './support/seed.js';
import { startChatServer } from './support/server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

export const soak: Bench = async ({ quick, log }) => {
  const durationMs = quick ? 60_000 : 600_000;
  const windowMs = quick ? 10_000 : 60_000;
  const rate = 300;
  const taskCount = 1000;
  const dbPath = join(tempDir(), 'chat.db');
  const store = await openSeedStore(dbPath);
  const agent = await seedAgent(store, { name: 'soak bench' });
  const tasks = await seedTasks(store, agent, taskCount);
  await store.close();
  const server = await startChatServer({ dbPath });
  const driver = await spawnWorker('clients/driver.ts');
  const readers = await spawnWorker('clients/readers.ts');
  const rss: Array<{ s: number; mb: number }> = [];
  try {
    const connected = await readers.call<{ failed: number }>('connect', { mode: 'sse', url: server.url, tasks, concurrency: 100 });
    if (connected.failed > 0) throw new Error(`${connected.failed} readers failed to connect`);
    // A short warm-up, so "start" is the server ready for work rather than just booted.
    await driver.call('run', { url: server.url, secret: agent.signingSecret, taskIds: tasks.map((t) => t.taskId), rate, durationMs: 5000 });
    const startRss = await settledRss(server.pid);
    await readers.call('reset');
    const t0 = performance.now();
    let done = false;
    const sampler = (async () => {
      while (!done) {
        rss.push({ s: (performance.now() - t0) / 1000, mb: rssBytes(server.pid) / MB });
        await sleep(5000);
      }
    })();
    const drive = await driver.call<DriveResult>('run', { url: server.url, secret: agent.signingSecret, taskIds: tasks.map((t) => t.taskId), rate, durationMs }, durationMs + 120_000);
    done = true;
    await sampler;
    await sleep(1000);
    const endRss = await settledRss(server.pid);
    const stats = await readers.call<ReaderStats>('stats', { windowMs });
    await readers.call('disconnect');
    const windows = (stats.windows ?? []).filter((w) => w.fromS * 1000 < durationMs);
    const first = windows[0]?.p99 ?? null;
    const last = windows.at(-1)?.p99 ?? null;
    log(`RSS ${fmt(startRss / MB)} → ${fmt(endRss / MB)} MB; p99 per window: ${windows.map((w) => fmt(w.p99)).join(', ')} ms`);
    return {
      figures: [
        { label: `server RSS after ${durationMs / 60_000} min`, value: endRss / MB, unit: 'MB', baseline: { label: 'at start', value: startRss / MB }, ratio: ratio(endRss, startRss) },
        {
          label: `push p99, last ${windowMs / 1000} s`,
          value: last,
          unit: 'ms',
          baseline: { label: `first ${windowMs / 1000} s`, value: first },
          ratio: ratio(last, first),
        },
      ],
      notes: [
        `${rate} signed webhooks/s for ${durationMs / 1000} s over ${taskCount} tasks, one SSE reader each; ${stats.unique} of ${drive.acked} acked answers seen, ` +
          `${drive.failed} failed; ack p99 ${fmt(drive.ack.p99)} ms.`,
        `p99 per ${windowMs / 1000} s: ${windows.map((w) => `${fmt(w.fromS)}s ${fmt(w.p99)}`).join(', ')} (ms).`,
        `RSS every 5 s (MB): ${rss.map((r) => fmt(r.mb)).join(' ')}.`,
      ],
      raw: { rss, windows, drive: { ...drive }, startRss, endRss },
    };
  } finally {
    await readers.close();
    await driver.close();
    await server.stop();
  }
};
