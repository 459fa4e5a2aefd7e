// Graceful shutdown: on SIGTERM a child-process server stops taking work, ends SSE streams with a
// retry hint, answers waiting long-polls at once, lets the delivery in flight finish or gives its
// lease back, and exits within SHUTDOWN_TIMEOUT_MS. After a restart the delivery completes once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { startAgentServer, type TestAgentServer } from '../support/agent-server.js';
import { Session, eventually } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { openReadOnly, openSse, parseMetrics } from './helpers.js';

const SHUTDOWN_TIMEOUT_MS = 4000;
/** The deadline of the servers whose delivery outlasts it. */
const STUCK_DEADLINE_MS = 1000;

/** The child's pid, from its pino log lines (the harness does not expose the process). */
function pidOf(server: TestServer): number {
  for (const line of server.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    const pid = (JSON.parse(line) as { pid?: number }).pid;
    if (typeof pid === 'number') return pid;
  }
  throw new Error('no pid in the server log; it must run at LOG_LEVEL=info');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for `pid` to exit; returns when it did (epoch ms). */
async function exited(pid: number, timeoutMs: number): Promise<number> {
  await eventually(() => assert.equal(alive(pid), false, `pid ${pid} still running`), timeoutMs, 10);
  return Date.now();
}

/** Output lines that are neither pino JSON nor the start-up banner: a crash's stack trace, say. */
function strayOutput(server: TestServer): string[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('{') && !/Webhook Chat is running|Chat page:|API docs:/.test(line));
}

function sessionCookie(session: Session): string {
  return (session as unknown as { cookie: string }).cookie;
}

interface DeliveryRow {
  id: string;
  state: string;
  attempts: number;
  messageId: string;
}

async function deliveriesOf(server: TestServer, taskId: string): Promise<DeliveryRow[]> {
  const response = await fetch(`${server.url}/api/admin/deliveries?taskId=${taskId}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { deliveries: DeliveryRow[] }).deliveries;
}

async function start(env: Record<string, string> = {}): Promise<TestServer> {
  return startServer({ process: true, env: { LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), DELIVERY_LEASE_MS: '1000', ...env } });
}

describe('graceful shutdown on SIGTERM', () => {
  const cleanup: Array<() => Promise<void>> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('ends streams with a retry hint, answers long-polls, finishes the delivery in flight, and exits in time', async (t) => {
    const hook: TestAgentServer = await startAgentServer();
    cleanup.push(() => hook.close());
    // The first delivery is slow, but shorter than the shutdown deadline.
    hook.script.push({ status: 200, delayMs: 1200 });
    const server = await start();
    cleanup.push(() => server.stop());
    const agent: AgentCredentials = await server.createAgent({ name: 'Slow', endpointUrl: hook.url });
    const page = new Session(server.url);
    const sent = await page.send(agent.id, 'a slow one');
    const taskId = sent.body.taskId;
    await eventually(() => assert.equal(hook.received.length, 1), 5000);

    const stream = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, { cookie: sessionCookie(page) });
    assert.equal(stream.status, 200);
    await eventually(() => assert.match(stream.text(), /event: task/));
    // The longest wait allowed, far beyond the shutdown deadline: only the shutdown can answer it
    // while the process still runs (once the process is gone, the request could only fail).
    const longPoll = page.responses(taskId, '&wait=60');
    await eventually(async () => {
      const metrics = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
      assert.equal(metrics.find((m) => m.name === 'readers_connected' && m.labels.kind === 'longpoll')?.value, 1);
    });

    const pid = pidOf(server);
    const signalled = Date.now();
    process.kill(pid, 'SIGTERM');

    // (1) The stream gets a retry hint and ends cleanly.
    assert.equal(await stream.ended, 'end');
    assert.match(stream.text(), /retry: \d+\n\n$/);
    // (2) The long-poll gets a regular answer (nothing new yet), not a cut connection.
    const polled = await longPoll;
    const answeredAfter = Date.now() - signalled;
    assert.equal(polled.status, 200);
    assert.equal(polled.body.success, true);
    assert.deepEqual(polled.body.responses, []);
    // Readiness: while draining, the server is not ready (503) or no longer accepts connections.
    const ready = await fetch(`${server.url}/readyz`).then((r) => r.status, () => 'refused');
    assert.notEqual(ready, 200);
    // (3) The process waits for the delivery in flight, then exits on its own: not through the
    // deadline's forced exit (code 1, which logs "shutdown deadline passed"), and not by crashing
    // (which would print something other than JSON log lines and the start-up banner).
    const exitedAt = await exited(pid, SHUTDOWN_TIMEOUT_MS + 2000);
    const took = exitedAt - signalled;
    assert.doesNotMatch(server.output(), /shutdown deadline passed/);
    assert.deepEqual(strayOutput(server), []);
    t.diagnostic(`long-poll answered after ${answeredAfter} ms; readiness during drain: ${ready}; exited after ${took} ms`);

    // After a restart the delivery is complete, and was made exactly once.
    await server.restart();
    const [delivery] = await deliveriesOf(server, taskId);
    assert.deepEqual([delivery?.state, delivery?.attempts], ['delivered', 1]);
    const next = await page.send(agent.id, 'after the restart', { taskId });
    await eventually(() => assert.ok(hook.received.some((r) => r.body.messageId === next.body.messageId)), 5000);
    assert.equal(hook.received.filter((r) => r.body.messageId === sent.body.messageId).length, 1, 'the first message was delivered once');
  });

  /**
   * A server whose only delivery is stuck in flight: the agent takes longer than the shutdown
   * deadline (but less than the attempt timeout). The worker's lease is at least twice the attempt
   * timeout plus a second, so here about 5 s unless DELIVERY_LEASE_MS is longer.
   */
  async function stuckDelivery(leaseMs: number) {
    const hook = await startAgentServer();
    cleanup.push(() => hook.close());
    hook.script.push({ status: 200, delayMs: 1900 });
    const server = await start({ SHUTDOWN_TIMEOUT_MS: String(STUCK_DEADLINE_MS), DELIVERY_TIMEOUT_MS: '2000', DELIVERY_LEASE_MS: String(leaseMs) });
    cleanup.push(() => server.stop());
    const agent = await server.createAgent({ name: 'Very slow', endpointUrl: hook.url });
    const sent = (await new Session(server.url).send(agent.id, 'a very slow one')).body;
    await eventually(() => assert.equal(hook.received.length, 1), 5000);
    const pid = pidOf(server);
    const signalled = Date.now();
    process.kill(pid, 'SIGTERM');
    const took = (await exited(pid, STUCK_DEADLINE_MS + 2000)) - signalled;
    // What the database says once the process is gone.
    const db = openReadOnly(server.databaseUrl);
    const atExit = db.prepare('SELECT state, attempts FROM deliveries WHERE message_id = ?').get(sent.messageId) as { state: string; attempts: number };
    db.close();
    const copies = () => hook.received.filter((r) => r.body.messageId === sent.messageId);
    return { server, sent, took, atExit, copies };
  }

  it('exits within the deadline even when a delivery outlasts it; after a restart that delivery completes', async (t) => {
    const { server, sent, took, atExit, copies } = await stuckDelivery(1000);
    // The process did not wait for the agent's answer: had it waited, the attempt would be recorded.
    assert.deepEqual(atExit, { state: 'pending', attempts: 0 }, 'the delivery in flight is left pending, its attempt unrecorded');
    await server.restart();
    await eventually(() => assert.equal(copies().length, 2), 10_000);
    const [delivery] = await eventually(async () => {
      const rows = await deliveriesOf(server, sent.taskId);
      assert.equal(rows[0]?.state, 'delivered');
      return rows;
    });
    // The agent saw the same webhook-id twice (at-least-once; it de-duplicates by webhook-id), and
    // the delivery is recorded as delivered once.
    assert.equal(new Set(copies().map((r) => r.headers['webhook-id'])).size, 1);
    t.diagnostic(`exited ${took} ms after SIGTERM; delivery ${delivery?.state} after ${delivery?.attempts} recorded attempt(s)`);
  });

  it(
    'gives the lease of a delivery that outlasts the deadline back, so a restart retries it at once',
    async () => {
      const { server, copies } = await stuckDelivery(60_000);
      await server.restart();
      await eventually(() => assert.equal(copies().length, 2, 'not redelivered within 3 s of the restart'), 3000);
    },
  );

  it('refuses a request that arrives while the server drains: 503 SHUTTING_DOWN with Retry-After', async (t) => {
    const server = await start();
    t.after(() => server.stop());
    const socket = connect(server.port, '127.0.0.1');
    t.after(() => socket.destroy());
    await once(socket, 'connect');
    const reply = collect(socket);
    // A request whose headers have begun: its connection is busy, so the drain does not close it
    // as idle, and the request completes only after the drain has started.
    socket.write('GET /api/agents HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(pidOf(server), 'SIGTERM');
    // The drain has started once the server takes no new connections.
    await eventually(() => refusesConnections(server.port), SHUTDOWN_TIMEOUT_MS);
    socket.write('\r\n');
    const response = await reply;
    assert.match(response, /^HTTP\/1\.1 503 /);
    assert.match(response, /\r\nretry-after: 1\r\n/i);
    const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
    assert.equal(body.error.code, 'SHUTTING_DOWN');
  });
});

/** Everything `socket` receives until it closes, or until a whole response with a body arrived. */
function collect(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = (): void => resolve(text);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(text);
      const bodyAt = text.indexOf('\r\n\r\n');
      if (length && bodyAt >= 0 && text.length >= bodyAt + 4 + Number(length[1])) done();
    });
    socket.on('close', done);
    socket.on('error', done);
  });
}

/** Resolves if a new connection to `port` is refused; throws while the server still accepts them. */
async function refusesConnections(port: number): Promise<void> {
  const probe = connect(port, '127.0.0.1');
  try {
    await once(probe, 'connect');
  } catch {
    return;
  } finally {
    probe.destroy();
  }
  throw new Error('the server still accepts connections');
}
