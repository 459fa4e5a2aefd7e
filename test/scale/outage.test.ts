/**
 * PostgreSQL goes away under a webhook load on two instances, and comes back. While it is away,
 * webhooks get 503 with Retry-After (never a 2xx), /readyz says not ready and /healthz stays up.
 * After it returns, both instances serve again without a restart, every acknowledged answer is
 * stored exactly once, and LISTEN/NOTIFY wakes readers across instances again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AgentCredentials, Communication } from '../../src/protocol/index.js';
import { eventually } from '../support/client.js';
import { postgresSkip } from '../support/postgres.js';
import type { TestServer } from '../support/server.js';
import { openSse } from '../support/sse.js';
import { Browser, startCluster, type Cluster } from './cluster.js';

interface Attempt {
  messageId: string;
  via: 'A' | 'B';
  /** 0 when the request itself failed (connection refused or reset). */
  status: number;
  retryAfter: string | null;
  code: string | null;
  startedAt: number;
  endedAt: number;
  error?: string;
}

/**
 * Agents posting answers to one task as fast as they can, alternating between the instances, each
 * answer with its own messageId. After a failure an agent pauses briefly, as a real one would.
 */
class WebhookLoad {
  readonly attempts: Attempt[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private next = 0;

  constructor(
    private readonly instances: { A: TestServer; B: TestServer },
    private readonly taskId: string,
    private readonly token: string,
    private readonly prefix: string,
  ) {}

  start(concurrency = 6): void {
    this.running = true;
    this.workers = Array.from({ length: concurrency }, () => this.work());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** Counts by status and the first failures, for assertion messages. */
  describe(): string {
    const byStatus: Record<string, number> = {};
    for (const x of this.attempts) byStatus[x.status] = (byStatus[x.status] ?? 0) + 1;
    const failures = this.attempts.filter((x) => x.status !== 200 && x.status !== 503).slice(0, 3);
    return `${this.attempts.length} webhooks, by status ${JSON.stringify(byStatus)} ${JSON.stringify(failures)}`;
  }

  acknowledged(): Attempt[] {
    return this.attempts.filter((a) => a.status >= 200 && a.status < 300);
  }

  private async work(): Promise<void> {
    while (this.running) {
      const n = this.next++;
      const via = n % 2 === 0 ? 'A' : 'B';
      const attempt = await post(this.instances[via], via, this.taskId, this.token, `${this.prefix}-${n}`);
      this.attempts.push(attempt);
      if (attempt.status !== 200) await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** POSTs an answer; a server that does not answer within 10 s fails the request (a hang is a bug too). */
function webhook(server: TestServer, body: Record<string, unknown>, token: string): Promise<Response> {
  return fetch(`${server.url}/api/communications/webhook-response`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

async function post(server: TestServer, via: 'A' | 'B', taskId: string, token: string, messageId: string): Promise<Attempt & { duplicate?: boolean }> {
  const startedAt = Date.now();
  try {
    const response = await webhook(server, { taskId, response: `answer ${messageId}`, messageId, final: false }, token);
    const body = (await response.json()) as { duplicate?: boolean; error?: { code: string } };
    return {
      messageId,
      via,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      code: body.error?.code ?? null,
      startedAt,
      endedAt: Date.now(),
      ...(body.duplicate === undefined ? {} : { duplicate: body.duplicate }),
    };
  } catch (error) {
    return { messageId, via, status: 0, retryAfter: null, code: null, startedAt, endedAt: Date.now(), error: String(error) };
  }
}

async function status(url: string): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text(), retryAfter: response.headers.get('retry-after') };
}

describe('PostgreSQL outage under a webhook load', { skip: postgresSkip(), timeout: 150_000 }, () => {
  let cluster: Cluster;
  let a: TestServer;
  let b: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    cluster = await startCluster(2, { RATE_LIMIT_AGENT_PER_MINUTE: '10000000', RATE_LIMIT_SESSION_PER_MINUTE: '100000', LOG_LEVEL: process.env.SCALE_LOG ?? 'silent' });
    [a, b] = cluster.instances as [TestServer, TestServer];
    agent = await a.createAgent();
  });
  after(async () => {
    if (process.env.SCALE_LOG) for (const s of cluster?.instances ?? []) console.log(s.output().slice(-20000));
    await cluster?.stop();
  });

  /** Every agent answer of the task, read through B in pages. */
  async function allAnswers(browser: Browser, taskId: string): Promise<Communication[]> {
    const answers: Communication[] = [];
    for (let cursor = 0; ; ) {
      const page = await browser.on(b.url).responses(taskId, `&after=${cursor}`);
      assert.equal(page.status, 200);
      if (page.body.responses.length === 0) return answers;
      answers.push(...(page.body.responses as unknown as Communication[]));
      cursor = page.body.cursor;
    }
  }

  for (const mode of ['fast', 'immediate'] as const) {
    test(`a ${mode === 'fast' ? 'clean shutdown' : 'crash (immediate stop)'} of PostgreSQL: 503s, then recovery, nothing acknowledged lost`, async () => {
      const browser = new Browser();
      const { taskId } = (await browser.on(a.url).send(agent.id, `outage ${mode}`)).body;
      const load = new WebhookLoad({ A: a, B: b }, taskId, agent.token, mode);
      load.start();
      try {
        await eventually(() => assert.ok(load.acknowledged().length >= 50, load.describe()), 20_000);

        const stopping = Date.now();
        await cluster.pg.stopServer(mode);
        const stopped = Date.now();

        // Not ready, but alive: a balancer takes the instances out, an orchestrator leaves them be.
        for (const server of [a, b]) {
          const ready = await status(`${server.url}/readyz`);
          assert.equal(ready.status, 503, ready.body);
          assert.match(ready.body, /not_ready/);
          assert.ok(ready.retryAfter !== null, 'readyz sends Retry-After');
          assert.equal((await status(`${server.url}/healthz`)).status, 200);
        }
        // The page's requests are refused the same way: a message, a read, a stream.
        const message = await browser.on(a.url).send(agent.id, 'sent during the outage', { taskId });
        assert.equal(message.status, 503);
        assert.match(message.headers.get('retry-after') ?? '', /^\d+$/);
        assert.equal((await browser.on(b.url).responses(taskId)).status, 503);
        const stream = await fetch(`${b.url}/api/communications/stream?taskId=${taskId}`, { headers: browser.headers() });
        assert.equal(stream.status, 503);
        await stream.body?.cancel();

        // The outage lasts two seconds at least, and both instances refuse webhooks with 503.
        await eventually(() => {
          assert.ok(Date.now() - stopped >= 2000, 'the outage goes on');
          for (const via of ['A', 'B'] as const) {
            const refused = load.attempts.filter((x) => x.via === via && x.startedAt >= stopped && x.status === 503);
            assert.ok(refused.length >= 20, `${via} refused ${refused.length} so far`);
          }
        }, 20_000);

        const restarting = Date.now();
        await cluster.pg.startServer();
        const restarted = Date.now();

        // Service resumes on both instances by itself.
        await eventually(() => {
          for (const via of ['A', 'B'] as const) {
            const served = load.attempts.filter((x) => x.via === via && x.startedAt >= restarted && x.status === 200);
            assert.ok(served.length >= 25, `${via} served ${served.length} since the restart`);
          }
        }, 30_000);
        for (const server of [a, b]) assert.equal((await status(`${server.url}/readyz`)).status, 200);
        await load.stop();

        const { attempts } = load;
        const byStatus = new Map<number, number>();
        for (const x of attempts) byStatus.set(x.status, (byStatus.get(x.status) ?? 0) + 1);
        console.log(
          `# ${mode}: ${attempts.length} webhooks, by status ${JSON.stringify(Object.fromEntries(byStatus))}; ` +
            `stop took ${stopped - stopping} ms, outage ${restarted - stopped} ms, start took ${restarted - restarting} ms`,
        );
        const unexpected = attempts.filter((x) => x.status !== 200 && x.status !== 503);
        assert.deepEqual(unexpected.slice(0, 5), [], `only 200 and 503 are acceptable answers (${unexpected.length} others)`);
        const falseSuccess = attempts.filter((x) => x.status === 200 && x.startedAt >= stopped && x.endedAt <= restarting);
        assert.deepEqual(falseSuccess, [], 'no 2xx while the database was down');
        for (const refused of attempts.filter((x) => x.status === 503)) {
          assert.equal(refused.code, 'SERVICE_UNAVAILABLE');
          assert.match(refused.retryAfter ?? '', /^\d+$/, 'every 503 says when to retry');
        }

        // What the agents do next: retry every refused answer with the same messageId.
        let storedDespite503 = 0;
        for (const refused of attempts.filter((x) => x.status !== 200)) {
          const again = await post(a, 'A', taskId, agent.token, refused.messageId);
          assert.equal(again.status, 200);
          if (again.duplicate) storedDespite503++;
        }
        console.log(`# ${mode}: ${storedDespite503} refused webhooks had been stored anyway (their retry was a duplicate)`);

        const answers = await allAnswers(browser, taskId);
        const count = new Map<string, number>();
        for (const answer of answers) count.set(answer.messageId, (count.get(answer.messageId) ?? 0) + 1);
        const acknowledged = load.acknowledged().map((x) => x.messageId);
        assert.deepEqual(acknowledged.filter((id) => count.get(id) !== 1), [], 'every acknowledged answer is stored exactly once');
        const sent = new Set(attempts.map((x) => x.messageId));
        assert.equal(answers.length, sent.size, 'every answer is stored once, none twice, nothing else');
        assert.deepEqual(answers.map((x) => x.seq), answers.map((_, i) => i + 2), 'seq has no gap (seq 1 is the user message)');
      } finally {
        await load.stop();
        await cluster.pg.startServer();
      }
    });
  }

  test('after the outages, a webhook on A wakes an SSE reader on B again (LISTEN reconnected)', async () => {
    const browser = new Browser();
    // One more outage, long enough for the listeners' reconnect backoff to grow, so that the
    // reader below connects and the first answers go out while B's listener is still away.
    await cluster.pg.stopServer('fast');
    const stopped = Date.now();
    await eventually(async () => {
      assert.ok(Date.now() - stopped >= 3000, 'the outage goes on');
      assert.equal((await fetch(`${b.url}/readyz`)).status, 503);
    }, 10_000, 100);
    await cluster.pg.startServer();
    const restarted = Date.now();
    const { taskId } = (await eventually(async () => {
      const sent = await browser.on(a.url).send(agent.id, 'after the outage');
      assert.equal(sent.status, 201);
      return sent;
    }, 10_000)).body;
    const stream = await openSse(`${b.url}/api/communications/stream?taskId=${taskId}`, browser.headers());
    try {
      assert.equal(stream.status, 200);
      await eventually(() => assert.ok(stream.events.some((e) => e.event === 'task'), `no first event; got ${JSON.stringify(stream.raw())}`), 10_000);
      const arrived = (): number => stream.events.filter((e) => e.event === 'response').length;
      // Post on A until two answers in a row reach B within a second of their 2xx: only a live
      // LISTEN connection does that (a reconnect wakes readers once, not on every answer).
      let inARow = 0;
      let sent = 0;
      let late = 0;
      const deadline = Date.now() + 30_000;
      while (inARow < 2) {
        assert.ok(Date.now() < deadline, `no prompt cross-instance wake-up ${Date.now() - restarted} ms after PostgreSQL returned`);
        const answer = await webhook(a, { taskId, response: `answer ${sent}`, final: false }, agent.token);
        if (answer.status !== 200) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        sent++;
        const quick = await eventually(() => assert.equal(arrived(), sent), 1000, 5).then(
          () => true,
          () => false,
        );
        inARow = quick ? inARow + 1 : 0;
        if (!quick) late++;
      }
      console.log(`# cross-instance wake-ups are prompt again ${Date.now() - restarted} ms after PostgreSQL returned (${late} answers were not prompt before that)`);
      // Any answer whose notification was missed while B was reconnecting arrived all the same.
      await eventually(() => assert.equal(arrived(), sent), 10_000);
      const texts = stream.events.filter((e) => e.event === 'response').map((e) => (JSON.parse(e.data) as Communication).response);
      assert.deepEqual(texts, Array.from({ length: sent }, (_, i) => `answer ${i}`));
    } finally {
      stream.close();
    }
    for (const server of [a, b]) assert.equal((server.output().match(/Webhook Chat is running/g) ?? []).length, 1, 'never restarted');
  });

  // A server that stops answering without closing its connections (a network partition, a paused
  // VM, a frozen disk) is an outage too. Only the store's query timeout turns a query waiting on
  // an open connection into a 503; without it the request waits for as long as the server is frozen.
  test('a frozen PostgreSQL (SIGSTOP, like a network partition): webhooks and /readyz answer 503 within 10 s, not hang', async () => {
    const browser = new Browser();
    const { taskId } = (await browser.on(a.url).send(agent.id, 'before the freeze')).body;
    // Both instances have open, idle connections in their pools now.
    for (const server of [a, b]) assert.equal((await post(server, 'A', taskId, agent.token, `warm-${server.port}`)).status, 200);

    const postmaster = readFileSync(join(cluster.pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0] ?? '';
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', postmaster]).toString().trim().split(/\s+/);
    const frozen = [postmaster, ...children].filter((pid) => /^\d+$/.test(pid));
    execFileSync('kill', ['-STOP', ...frozen]);
    try {
      const answers = await Promise.all(
        (['A', 'B'] as const).flatMap((via) => {
          const server = via === 'A' ? a : b;
          return [
            post(server, via, taskId, agent.token, `frozen-${via}`).then((x) => ({ what: `webhook on ${via}`, status: x.status, ms: x.endedAt - x.startedAt, retryAfter: x.retryAfter })),
            timed(`/readyz on ${via}`, `${server.url}/readyz`),
            timed(`/healthz on ${via}`, `${server.url}/healthz`),
          ];
        }),
      );
      console.log(`# frozen PostgreSQL: ${answers.map((x) => `${x.what} → ${x.status === 0 ? 'no answer' : x.status} after ${x.ms} ms`).join('; ')}`);
      for (const x of answers) {
        const expected = x.what.startsWith('/healthz') ? 200 : 503;
        assert.equal(x.status, expected, `${x.what}: ${x.status === 0 ? `no answer after ${x.ms} ms (hangs while PostgreSQL is frozen)` : `answered ${x.status}`}`);
        if (expected === 503) assert.match(x.retryAfter ?? '', /^\d+$/);
      }
    } finally {
      execFileSync('kill', ['-CONT', ...frozen]);
    }
    await eventually(async () => {
      for (const server of [a, b]) assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    }, 15_000);
  });
});

/** GET with the 10 s limit of `webhook`: status 0 when nothing came back. */
async function timed(what: string, url: string): Promise<{ what: string; status: number; ms: number; retryAfter: string | null }> {
  const started = Date.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
    return { what, status: response.status, ms: Date.now() - started, retryAfter: response.headers.get('retry-after') };
  } catch {
    return { what, status: 0, ms: Date.now() - started, retryAfter: null };
  }
}
