/**
 * (d) 10,000 idle readers: server memory per connected reader, SSE on Webhook Chat against
 * Socket.IO on the peer server (readers in another process; RSS of the server before and after
 * they connect). Also the server's CPU and the webhook-ack p99 while those pages wait and a
 * trickle of webhooks arrives, beside the same 10,000 pages on the spec's 1 s polling.
 * Goal: SSE ≤ 0.75× Socket.IO's memory per client.
 */
import { join } from 'node:path';
import type { DriveResult } from './clients/driver.js';
import type { ReaderMode, ReaderStats } from './clients/readers.js';
import { cpuDuring, settledRss } from './support/proc-stats.js';
import { childFileLimit, collectGarbage, probePreload, tempDir, type Managed } from './support/processes.js';
import { fmt, ratio, type Bench, type Figure } from './support/report.js';
import { spawnWorker, type Worker } from './support/rpc.js';
import { openSeedStore, seedAgent, seedTasks } from './support/seed.js';
import { startChatServer } from './support/server.js';
import { startSocketIoServer } from './support/socketio.js';
import type { BenchTask } from './support/api.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

interface Measured {
  mode: ReaderMode;
  readers: number;
  connectMs: number;
  rssBefore?: number;
  rssAfter?: number;
  perReaderBytes?: number;
  cpuCores: number;
  drive: DriveResult;
  readerStats: ReaderStats;
}

interface Target {
  url: string;
  path?: string;
  pid: number;
  managed: Managed;
}

/** RSS after a full GC in the server, so garbage from connection set-up does not count. */
async function cleanRss(target: Target): Promise<number> {
  await collectGarbage(target.managed);
  return settledRss(target.pid);
}

async function measure(
  mode: ReaderMode,
  target: Target,
  tasks: BenchTask[],
  secret: string,
  workers: { readers: Worker; driver: Worker },
  options: { memory: boolean; rate: number; windowMs: number; log: (line: string) => void },
): Promise<Measured> {
  const { readers, driver } = workers;
  const result: Partial<Measured> = { mode, readers: tasks.length };
  if (options.memory) {
    // Warm the server's code paths first, so the "before" figure is not missing JIT'd code.
    await readers.call('connect', { mode, url: target.url, tasks: tasks.slice(0, 200), concurrency: 50 });
    await readers.call('disconnect');
    await sleep(1500);
    result.rssBefore = await cleanRss(target);
  }
  options.log(`${mode}: connecting ${tasks.length} readers`);
  const connected = await readers.call<{ open: number; failed: number; ms: number }>('connect', { mode, url: target.url, tasks, concurrency: 200 });
  if (connected.failed > 0) throw new Error(`${mode}: ${connected.failed} of ${tasks.length} readers failed to connect`);
  result.connectMs = connected.ms;
  await sleep(mode === 'poll' ? 2000 : 3000);
  if (options.memory) {
    result.rssAfter = await cleanRss(target);
    result.perReaderBytes = ((result.rssAfter ?? 0) - (result.rssBefore ?? 0)) / tasks.length;
  }
  await readers.call('reset');
  const { result: drive, cores } = await cpuDuring(target.pid, () =>
    driver.call<DriveResult>('run', { url: target.url, ...(target.path ? { path: target.path } : {}), secret, taskIds: tasks.map((t) => t.taskId), rate: options.rate, durationMs: options.windowMs }),
  );
  await sleep(mode === 'poll' ? 1500 : 500);
  result.readerStats = await readers.call<ReaderStats>('stats');
  await readers.call('disconnect');
  options.log(
    `${mode}: ${result.perReaderBytes === undefined ? '' : `${fmt(result.perReaderBytes / 1024)} KB/reader, `}CPU ${fmt(cores * 100)} %, ack p99 ${fmt(drive.ack.p99)} ms`,
  );
  return { ...(result as Measured), cpuCores: cores, drive };
}

export const idleReaders: Bench = async ({ quick, log }) => {
  const count = quick ? 1000 : 10_000;
  const windowMs = quick ? 2000 : 10_000;
  const rate = 200;
  // Each process holds `count` sockets plus its own files; see spawnTs for how the limit is raised.
  const fileLimit = childFileLimit();
  if (fileLimit < count + 1000) {
    return { figures: [], notes: [], skipped: `the open-file hard limit is ${fileLimit}; ${count} readers need ${count + 1000} (raise it with ulimit -Hn as root)` };
  }
  const dbPath = join(tempDir(), 'chat.db');
  const store = await openSeedStore(dbPath);
  const agent = await seedAgent(store, { name: 'idle readers bench' });
  const tasks = await seedTasks(store, agent, count);
  await store.close();

  const readers = await spawnWorker('clients/readers.ts', { nodeArgs: ['--max-old-space-size=4096'] });
  const driver = await spawnWorker('clients/driver.ts');
  const workers = { readers, driver };
  const results: Measured[] = [];
  try {
    const chat = await startChatServer({ dbPath, ...probePreload() });
    try {
      results.push(await measure('sse', { url: chat.url, pid: chat.pid, managed: chat.managed }, tasks, agent.signingSecret, workers, { memory: true, rate, windowMs, log }));
      results.push(await measure('poll', { url: chat.url, pid: chat.pid, managed: chat.managed }, tasks, agent.signingSecret, workers, { memory: false, rate, windowMs, log }));
    } finally {
      await chat.stop();
    }
    const peer = await startSocketIoServer(agent.signingSecret, 'FULL', probePreload());
    try {
      results.push(await measure('socketio', { url: peer.url, path: '/webhook', pid: peer.pid, managed: peer.managed }, tasks, agent.signingSecret, workers, { memory: true, rate, windowMs, log }));
    } finally {
      await peer.stop();
    }
  } finally {
    await readers.close();
    await driver.close();
  }

  const by = (mode: ReaderMode): Measured | undefined => results.find((r) => r.mode === mode);
  const sse = by('sse');
  const sio = by('socketio');
  const poll = by('poll');
  const memRatio = ratio(sse?.perReaderBytes, sio?.perReaderBytes);
  const kb = (b: number | undefined): number | null => (b === undefined ? null : b / 1024);
  const figures: Figure[] = [
    {
      label: `server memory per idle reader, ${count.toLocaleString('en-US')} SSE`,
      value: kb(sse?.perReaderBytes),
      unit: 'KB',
      baseline: { label: 'Socket.IO per client', value: kb(sio?.perReaderBytes) },
      ratio: memRatio,
      goal: { text: 'ratio ≤ 0.75', met: memRatio === null ? null : memRatio <= 0.75 },
    },
    {
      label: `server CPU, ${count.toLocaleString('en-US')} SSE pages + ${rate} webhooks/s`,
      value: sse ? sse.cpuCores * 100 : null,
      unit: '% core',
      baseline: { label: '1 s polling', value: poll ? poll.cpuCores * 100 : null },
      ratio: ratio(sse?.cpuCores, poll?.cpuCores),
    },
    {
      label: `webhook-ack p99, ${count.toLocaleString('en-US')} SSE pages waiting`,
      value: sse?.drive.ack.p99 ?? null,
      unit: 'ms',
      baseline: { label: '1 s polling', value: poll?.drive.ack.p99 ?? null },
      ratio: ratio(sse?.drive.ack.p99, poll?.drive.ack.p99),
    },
    {
      label: `server CPU, ${count.toLocaleString('en-US')} Socket.IO clients + ${rate} webhooks/s`,
      value: sio ? sio.cpuCores * 100 : null,
      unit: '% core',
      baseline: { label: 'SSE', value: sse ? sse.cpuCores * 100 : null },
      ratio: ratio(sio?.cpuCores, sse?.cpuCores),
    },
  ];
  const notes = [
    `${count.toLocaleString('en-US')} readers (one task and one session each) in a separate process; memory = (server RSS after − before connecting) ÷ readers, ` +
      `each RSS read after a forced full GC in the server (both servers alike) as the median of 5 samples; CPU and ack p99 over ${windowMs / 1000} s with ${rate} signed webhooks/s spread over the tasks.`,
  ];
  for (const r of results) {
    notes.push(
      `${r.mode}: ` +
        (r.rssBefore !== undefined ? `RSS ${fmt((r.rssBefore ?? 0) / MB)} → ${fmt((r.rssAfter ?? 0) / MB)} MB, ` : '') +
        `connected in ${fmt(r.connectMs / 1000)} s, CPU ${fmt(r.cpuCores * 100)} % of a core, ack p50 ${fmt(r.drive.ack.p50)} / p99 ${fmt(r.drive.ack.p99)} ms, ` +
        `reader latency p50 ${fmt(r.readerStats.latency.p50)} / p99 ${fmt(r.readerStats.latency.p99)} ms (${r.readerStats.unique}/${r.drive.acked} seen)` +
        (r.mode === 'poll' ? `, ${fmt((r.readerStats.requests * 1000) / r.readerStats.elapsedMs)} polls/s` : '') +
        (Object.keys(r.readerStats.errors).length > 0 ? `, reader errors ${JSON.stringify(r.readerStats.errors)}` : '') +
        '.',
    );
  }
  return { figures, notes, raw: results };
};
