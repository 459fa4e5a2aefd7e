/**
 * Reader fleet (its own process): one live reader per task, as the chat page would hold it.
 * Modes: `sse` (GET /api/communications/stream), `longpoll` (get-responses&wait=25), `poll` (the
 * spec's get-responses every second) and `socketio` (the peer server's rooms). Each answer's text
 * carries its send time; the reader records now − then on arrival.
 * Cursors persist per task across modes, so a new fleet does not re-read earlier phases.
 */
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import { serve } from '../support/rpc.js';
import { msBetween, nowNs, Samples, summarize, type Summary } from '../support/stats.js';
import { readStamp } from '../support/webhooks.js';

export type ReaderMode = 'sse' | 'longpoll' | 'poll' | 'socketio';

export interface ConnectParams {
  mode: ReaderMode;
  url: string;
  tasks: Array<{ taskId: string; cookie: string }>;
  /** Connections opened at once while connecting. */
  concurrency?: number;
  pollIntervalMs?: number;
}

export interface ReaderStats {
  received: number;
  unique: number;
  latency: Summary;
  /** p99 per window of `windowMs` (soak), by receive time since `start`. */
  windows?: Array<{ fromS: number; count: number; p99: number | null; p50: number | null }>;
  errors: Record<string, number>;
  /** Requests made (poll and long-poll) since `reset`, and the time since then. */
  requests: number;
  elapsedMs: number;
  open: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const cursors = new Map<string, number>();
let since = 0n;
let windowStart = 0n;
const latencies = new Samples();
const arrivals = new Samples();
const seen = new Set<string>();
let received = 0;
let requests = 0;
const errors: Record<string, number> = {};
let closers: Array<() => void> = [];
let stopped = false;

function countError(error: unknown): void {
  const key = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);
  errors[key] = (errors[key] ?? 0) + 1;
}

/** One answer arrived at `at`. */
function record(at: bigint, messageId: string, text: string): void {
  const sent = readStamp(text);
  if (sent === null || sent < since) return;
  received++;
  if (seen.has(messageId)) return;
  seen.add(messageId);
  latencies.push(msBetween(sent, at));
  arrivals.push(msBetween(windowStart, at));
}

interface Answer {
  messageId: string;
  seq: number;
  response: string;
}

function get(url: string, cookie: string, onRequest?: (req: ClientRequest) => void): Promise<{ status: number; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { cookie, accept: 'application/json' } }, (res) => resolve({ status: res.statusCode ?? 0, res }));
    onRequest?.(req);
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function readJson(res: IncomingMessage): Promise<{ at: bigint; body: { responses?: Answer[]; cursor?: number } }> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const at = nowNs();
  return { at, body: JSON.parse(Buffer.concat(chunks).toString()) as { responses?: Answer[]; cursor?: number } };
}

function responsesUrl(base: string, taskId: string, extra = ''): string {
  return `${base}/api/communications/get-responses?taskId=${encodeURIComponent(taskId)}&after=${cursors.get(taskId) ?? 0}${extra}`;
}

function handleAnswers(taskId: string, at: bigint, body: { responses?: Answer[]; cursor?: number }): void {
  for (const r of body.responses ?? []) record(at, r.messageId, r.response);
  if (typeof body.cursor === 'number') cursors.set(taskId, Math.max(cursors.get(taskId) ?? 0, body.cursor));
}

/** SSE: resolves once the stream is open (headers received). */
function openSse(base: string, taskId: string, cookie: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = `${base}/api/communications/stream?taskId=${encodeURIComponent(taskId)}&after=${cursors.get(taskId) ?? 0}`;
    const req = request(url, { agent, headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`SSE ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const at = nowNs();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.includes('event: response')) continue;
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const answer = JSON.parse(data.slice(6)) as Answer;
          cursors.set(taskId, Math.max(cursors.get(taskId) ?? 0, answer.seq));
          record(at, answer.messageId, answer.response);
        }
      });
      res.on('error', () => undefined);
      res.on('close', () => {
        if (!stopped) countError(new Error('stream closed'));
      });
      closers.push(() => req.destroy());
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
}

/** Long-poll loop: one request waiting at a time, re-issued at once after each answer. */
function startLongPoll(base: string, taskId: string, cookie: string): Promise<void> {
  let active = true;
  let current: ClientRequest | null = null;
  closers.push(() => {
    active = false;
    current?.destroy();
  });
  const loop = async (): Promise<void> => {
    while (active && !stopped) {
      try {
        requests++;
        const { status, res } = await get(responsesUrl(base, taskId, '&wait=25'), cookie, (req) => (current = req));
        const { at, body } = await readJson(res);
        if (status !== 200) throw new Error(`long-poll ${status}`);
        handleAnswers(taskId, at, body);
      } catch (error) {
        if (!active || stopped) return;
        countError(error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  void loop();
  return Promise.resolve();
}

/**
 * The spec's polling, as the chat page does it: one get-responses at a time, then a pause that
 * makes the period one second (a slow answer delays the next poll; it never bunches them).
 */
function startPoll(base: string, taskId: string, cookie: string, intervalMs: number): Promise<void> {
  let timer: NodeJS.Timeout | null = null;
  let active = true;
  let current: ClientRequest | null = null;
  closers.push(() => {
    active = false;
    if (timer) clearTimeout(timer);
    current?.destroy();
  });
  const tick = async (): Promise<void> => {
    if (!active || stopped) return;
    const started = performance.now();
    try {
      requests++;
      const { status, res } = await get(responsesUrl(base, taskId), cookie, (req) => (current = req));
      const { at, body } = await readJson(res);
      if (status !== 200) throw new Error(`poll ${status}`);
      handleAnswers(taskId, at, body);
    } catch (error) {
      if (!active || stopped) return;
      countError(error);
    }
    if (!active || stopped) return;
    timer = setTimeout(() => void tick(), Math.max(0, intervalMs - (performance.now() - started)));
  };
  // Pages open at random moments, so their polls are spread over the second.
  timer = setTimeout(() => void tick(), Math.random() * intervalMs);
  return Promise.resolve();
}

function openSocketIo(base: string, taskId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = io(base, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 60_000 });
    socket.on('response', (row: Answer) => record(nowNs(), row.messageId, row.response));
    socket.once('connect_error', reject);
    socket.once('connect', () => {
      socket.emit('join', taskId, () => resolve());
    });
    socket.on('disconnect', () => {
      if (!stopped) countError(new Error('socket.io disconnected'));
    });
    closers.push(() => socket.disconnect());
  });
}

async function connect(params: ConnectParams): Promise<{ open: number; failed: number; ms: number }> {
  stopped = false;
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  const open1 = (i: number): Promise<void> => {
    const { taskId, cookie } = params.tasks[i] as { taskId: string; cookie: string };
    switch (params.mode) {
      case 'sse':
        return openSse(params.url, taskId, cookie);
      case 'longpoll':
        return startLongPoll(params.url, taskId, cookie);
      case 'poll':
        return startPoll(params.url, taskId, cookie, params.pollIntervalMs ?? 1000);
      case 'socketio':
        return openSocketIo(params.url, taskId);
    }
  };
  const lane = async (): Promise<void> => {
    while (next < params.tasks.length) {
      const i = next++;
      try {
        await open1(i);
      } catch (error) {
        failed++;
        countError(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(params.concurrency ?? 100, params.tasks.length) }, lane));
  return { open: closers.length, failed, ms: performance.now() - t0 };
}

/** Starts counting: answers sent before `sinceNs` are ignored. */
function reset(params: { sinceNs?: string } = {}): null {
  since = params.sinceNs ? BigInt(params.sinceNs) : nowNs();
  windowStart = nowNs();
  latencies.clear();
  arrivals.clear();
  seen.clear();
  received = 0;
  requests = 0;
  for (const key of Object.keys(errors)) delete errors[key];
  return null;
}

function stats(params: { windowMs?: number } = {}): ReaderStats {
  const result: ReaderStats = {
    received,
    unique: seen.size,
    latency: summarize(latencies.values()),
    errors: { ...errors },
    requests,
    elapsedMs: msBetween(windowStart, nowNs()),
    open: closers.length,
  };
  if (params.windowMs) {
    const lat = latencies.values();
    const arr = arrivals.values();
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < lat.length; i++) {
      const b = Math.floor((arr[i] as number) / params.windowMs);
      let list = buckets.get(b);
      if (!list) buckets.set(b, (list = []));
      list.push(lat[i] as number);
    }
    result.windows = [...buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, list]) => {
        const s = summarize(list);
        return { fromS: (b * (params.windowMs as number)) / 1000, count: s.count, p99: s.p99, p50: s.p50 };
      });
  }
  return result;
}

async function disconnect(): Promise<null> {
  stopped = true;
  for (const close of closers) close();
  closers = [];
  // Let the sockets actually close before the next fleet connects.
  await new Promise((r) => setTimeout(r, 200));
  return null;
}

serve({ connect, reset, stats, disconnect });
