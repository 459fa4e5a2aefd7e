/**
 * Shared tools of the hardening proofs: a read-only view of the SQLite file (row counts and a state
 * fingerprint), Standard Webhooks signing, a raw-socket HTTP client for requests that fetch refuses
 * to send, an SSE reader, and a seeded PRNG so every generated run can be reproduced.
 */
import { connect } from 'node:net';
import { Webhook } from 'standardwebhooks';
import Database from 'better-sqlite3';

/**
 * A run length from an environment variable: `fallback` when it is unset or not a number, and
 * never below `minimum`, the count the proof promises. Setting it lower cannot quietly shorten
 * the proof; use it to lengthen a run.
 */
export function runLength(value: string | undefined, fallback: number, minimum: number): number {
  const parsed = value === undefined || value.trim() === '' ? NaN : Math.floor(Number(value));
  return Math.max(minimum, Number.isFinite(parsed) ? parsed : fallback);
}

/** The file behind a `sqlite:PATH` DATABASE_URL. */
export function sqlitePath(databaseUrl: string): string {
  if (!databaseUrl.startsWith('sqlite:')) throw new Error(`not a SQLite URL: ${databaseUrl}`);
  return databaseUrl.slice('sqlite:'.length);
}

/**
 * A read-only connection to a server's database. In WAL mode it sees every committed write of the
 * server without blocking it, so it can count rows while the server runs.
 */
export function openReadOnly(databaseUrl: string): Database.Database {
  const db = new Database(sqlitePath(databaseUrl), { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

export interface RowCounts {
  tasks: number;
  communications: number;
  deliveries: number;
  agents: number;
}

export function rowCounts(db: Database.Database): RowCounts {
  const count = (table: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { tasks: count('tasks'), communications: count('communications'), deliveries: count('deliveries'), agents: count('agents') };
}

/**
 * Row counts plus what a request could change without adding a row: task versions (bumped by every
 * task write), turn states, and agent credentials and settings. Background work does not touch
 * these in the tests that use it (no push agents, turn timeout far away).
 */
export function fingerprint(db: Database.Database): string {
  const counts = rowCounts(db);
  const tasks = db.prepare('SELECT COALESCE(SUM(version), 0) AS v, COALESCE(SUM(last_seq), 0) AS s FROM tasks').get() as { v: number; s: number };
  const turns = db
    .prepare("SELECT turn_state AS state, COUNT(*) AS n FROM communications WHERE direction = 'user' GROUP BY turn_state ORDER BY turn_state")
    .all() as Array<{ state: string; n: number }>;
  const agents = db
    .prepare('SELECT id, name, description, endpoint_url, token_hash, signing_secret, previous_token_hash, updated_at FROM agents ORDER BY id')
    .all();
  return JSON.stringify({ counts, tasks, turns, agents });
}

/** Standard Webhooks headers for `body`, signed with `secret` (a `whsec_` secret). */
export function signedHeaders(secret: string, id: string, body: string, at: Date = new Date()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

/** Mulberry32: a small, fast, seeded PRNG, so a failing generated run can be replayed exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Sends exactly these bytes on a fresh connection and reads one response. The request should say
 * `Connection: close`; a `text/event-stream` answer is returned as soon as its headers arrive.
 */
export function rawRequest(port: number, request: Buffer | string, timeoutMs = 15_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
    function parse(): RawResponse | null {
      let data = Buffer.concat(chunks);
      // Skip interim answers such as 100 Continue.
      while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 13).toString('latin1'))) {
        const interim = data.indexOf('\r\n\r\n');
        if (interim < 0) return null;
        data = data.subarray(interim + 4);
      }
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return null;
      const lines = data.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body: Buffer = data.subarray(end + 4);
      if (headers['transfer-encoding']?.includes('chunked')) body = decodeChunked(body);
      return { status, headers, body: body.toString('utf8') };
    }
    function finish(error: Error | null): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parse();
      if (parsed && !Number.isNaN(parsed.status)) resolve(parsed);
      else reject(error ?? new Error(`no HTTP response: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const parsed = parse();
      if (parsed?.headers['content-type']?.startsWith('text/event-stream')) finish(null);
    });
    socket.on('end', () => finish(null));
    socket.on('close', () => finish(null));
    socket.on('error', (error) => finish(error));
    socket.write(request);
  });
}

/** An open Server-Sent Events response, read as text as it arrives. */
export interface SseReader {
  status: number;
  headers: Headers;
  /** Everything received so far. */
  text(): string;
  /** Resolves when the server ends the stream: 'end' for a clean end, 'error' when it was cut. */
  ended: Promise<'end' | 'error'>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  let received = '';
  const decoder = new TextDecoder();
  const body = response.body;
  const ended = (async (): Promise<'end' | 'error'> => {
    if (body === null) return 'end';
    try {
      for await (const chunk of body) received += decoder.decode(chunk as Uint8Array, { stream: true });
      return 'end';
    } catch {
      return 'error';
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    text: () => received,
    ended,
    close: () => controller.abort(),
  };
}

/** Parses Prometheus text into `name{labels} value` samples. */
export function parseMetrics(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Asserts the shape every 4xx/5xx body must have; returns the error code. */
export function errorCodeOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { success?: unknown; error?: { code?: unknown; message?: unknown } };
    if (parsed.success !== false || typeof parsed.error !== 'object' || parsed.error === null) return null;
    if (typeof parsed.error.code !== 'string' || typeof parsed.error.message !== 'string') return null;
    if (Object.keys(parsed).sort().join() !== 'error,success') return null;
    return parsed.error.code;
  } catch {
    return null;
  }
}
