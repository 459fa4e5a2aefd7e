// Answers reach waiting readers at once: long-poll and SSE, with exact resume and ordering.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentCredentials, Communication } from '../../src/protocol/index.js';
import { eventually, Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { openSse } from '../support/sse.js';

describe('push: long-poll and SSE', () => {
  let server: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    server = await startServer({ env: { SSE_HEARTBEAT_MS: '200' } });
    agent = await server.createAgent();
  });
  after(() => server.stop());

  /** Long-polls this server holds right now (its own metric, so nothing is inferred from time). */
  async function waitingLongPolls(): Promise<number> {
    const gauge = await server.built!.ctx.metrics.readers.get();
    return gauge.values.find((v) => v.labels.kind === 'longpoll')?.value ?? 0;
  }

  it('long-poll returns within 100 ms of a webhook', async () => {
    // Best of three: a shared 2-core machine can stall any single request, but push must be able to
    // answer within 100 ms (1 s polling never could).
    const lags: number[] = [];
    for (let attempt = 0; attempt < 3 && !lags.some((lag) => lag < 100); attempt++) {
      const page = new Session(server.url);
      const { taskId } = (await page.send(agent.id, 'hi')).body;
      let returnedAt = 0;
      const returned = page.responses(taskId, '&after=0&wait=20').then((r) => {
        returnedAt = Date.now();
        return r;
      });
      // Answer only once the long-poll is held, so the answer must wake it.
      await eventually(async () => assert.equal(await waitingLongPolls(), 1, 'the long-poll is waiting'));
      await server.webhook({ taskId, response: 'pushed' }, agent.token);
      // Measured from the webhook's acknowledgement, i.e. from the moment the answer is committed.
      const ackedAt = Date.now();
      const result = await returned;
      assert.equal(result.status, 200);
      assert.deepEqual(result.body.responses.map((r) => r.response), ['pushed']);
      assert.equal(result.body.cursor, result.body.responses[0]?.seq, 'the cursor moved past the answer');
      lags.push(returnedAt - ackedAt);
    }
    assert.ok(lags.some((lag) => lag < 100), `returned ${lags.join(', ')} ms after the webhook was acknowledged`);
  });

  it('long-poll with a long wait is woken by the answer, not by its timeout', async () => {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'hi')).body;
    const returned = page.responses(taskId, '&after=0&wait=60');
    await eventually(async () => assert.equal(await waitingLongPolls(), 1, 'the long-poll is waiting'));
    await server.webhook({ taskId, response: 'woken' }, agent.token);
    // A timed-out long-poll would carry no responses; this one carries the answer it waited for.
    const result = await returned;
    assert.equal(result.status, 200);
    assert.deepEqual(result.body.responses.map((r) => r.response), ['woken']);
    assert.equal(result.body.task.state, 'answered');
    assert.equal(await waitingLongPolls(), 0, 'nothing is left waiting');
  });

  it('long-poll times out cleanly with an empty answer and the same cursor', async () => {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'hi')).body;
    const result = await page.responses(taskId, '&after=0&wait=1');
    assert.equal(result.status, 200);
    assert.deepEqual(result.body.responses, []);
    assert.equal(result.body.cursor, 0);
    assert.equal(result.body.task.state, 'queued', 'the turn is still waiting for its answer');
    assert.equal(await waitingLongPolls(), 0, 'the timed-out long-poll left nothing waiting');
    // The same cursor then picks up the answer that came later.
    await server.webhook({ taskId, response: 'late' }, agent.token);
    const next = await page.responses(taskId, `&after=${result.body.cursor}`);
    assert.deepEqual(next.body.responses.map((r) => r.response), ['late']);
  });

  it('long-poll with version returns on a task change (a status) too', async () => {
    const page = new Session(server.url);
    const { taskId, task } = (await page.send(agent.id, 'hi')).body;
    const waiting = page.responses(taskId, `&after=0&wait=10&version=${task.version}`);
    await server.webhook({ taskId, status: 'working', statusText: 'Thinking hard' }, agent.token);
    const result = await waiting;
    assert.deepEqual(result.body.responses, []);
    assert.equal(result.body.task.agentStatus?.status, 'working');
    assert.equal(result.body.task.agentStatus?.text, 'Thinking hard');
    assert.equal(result.body.task.state, 'working');
  });

  it('SSE sends each answer with its seq as id, heartbeats and a retry hint', async () => {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'hi')).body;
    await page.request('GET', '/api/agents');
    const stream = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, { authorization: `Bearer ${agent.token}` });
    try {
      assert.equal(stream.status, 200);
      await eventually(() => assert.ok(stream.events.some((e) => e.event === 'task'), 'a task event arrives on connect'));
      await server.webhook({ taskId, response: 'one', final: false }, agent.token);
      await server.webhook({ taskId, response: 'two' }, agent.token);
      const responses = await eventually(() => {
        const r = stream.events.filter((e) => e.event === 'response');
        assert.equal(r.length, 2);
        return r;
      });
      const parsed = responses.map((e) => JSON.parse(e.data) as Communication);
      assert.deepEqual(parsed.map((c) => c.response), ['one', 'two']);
      assert.deepEqual(responses.map((e) => e.id), parsed.map((c) => String(c.seq)));
      await eventually(() => assert.match(stream.raw(), /^: hb$/m), 2000);
      assert.match(stream.raw(), /^retry: \d+$/m);
      const lastTask = JSON.parse(stream.events.filter((e) => e.event === 'task').at(-1)!.data) as { state: string };
      await eventually(() => {
        const latest = JSON.parse(stream.events.filter((e) => e.event === 'task').at(-1)!.data) as { state: string };
        assert.equal(latest.state, 'answered');
      });
      assert.ok(lastTask, 'a task event was sent');
    } finally {
      stream.close();
    }
  });

  it('SSE resumes after a forced disconnect with exactly the missed events (Last-Event-ID and ?after=)', async () => {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'hi')).body;
    const auth = { authorization: `Bearer ${agent.token}` };
    const first = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, auth);
    await server.webhook({ taskId, response: 'a', final: false }, agent.token);
    const seen = await eventually(() => {
      const r = first.events.filter((e) => e.event === 'response');
      assert.equal(r.length, 1);
      return r;
    });
    first.close();
    for (const text of ['b', 'c', 'd']) await server.webhook({ taskId, response: text, final: false }, agent.token);

    const resumed = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, { ...auth, 'last-event-id': seen[0]!.id! });
    const viaQuery = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}&after=${seen[0]!.id!}`, auth);
    try {
      for (const stream of [resumed, viaQuery]) {
        await eventually(() => assert.equal(stream.events.filter((e) => e.event === 'response').length, 3));
      }
      await server.webhook({ taskId, response: 'e' }, agent.token);
      for (const stream of [resumed, viaQuery]) {
        const texts = await eventually(() => {
          const r = stream.events.filter((e) => e.event === 'response').map((e) => (JSON.parse(e.data) as Communication).response);
          assert.equal(r.length, 4);
          return r;
        });
        assert.deepEqual(texts, ['b', 'c', 'd', 'e']);
      }
    } finally {
      resumed.close();
      viaQuery.close();
    }
  });

  it('keeps the order of concurrent webhooks to one task: seq strictly increasing, none lost', async () => {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'hi')).body;
    const stream = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, { authorization: `Bearer ${agent.token}` });
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => server.webhook({ taskId, response: `r${i}`, final: false, messageId: `m${i}` }, agent.token)),
      );
      assert.ok(results.every((r) => r.status === 200), 'every webhook is acknowledged');
      const acked = (await Promise.all(results.map((r) => r.json()))) as Array<{ seq: number }>;
      const events = await eventually(() => {
        const r = stream.events.filter((e) => e.event === 'response');
        assert.equal(r.length, 50);
        return r.map((e) => JSON.parse(e.data) as Communication);
      });
      const seqs = events.map((e) => e.seq);
      for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, 'strictly increasing');
      assert.deepEqual([...seqs].sort((a, b) => a - b), acked.map((a) => a.seq).sort((a, b) => a - b));
      const polled = await page.responses(taskId);
      assert.deepEqual(polled.body.responses.map((r) => r.seq), seqs);
    } finally {
      stream.close();
    }
  });
});
