/**
 * An answer's wake-up carries the answer (relay/answer-hint.ts), and an SSE stream that expects
 * exactly that seq sends it without reading the store. Whichever way an answer goes out, the
 * stream's events are the stored rows: same content, every seq once, in order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { taskTopic } from '../../src/events/broker.js';
import type { AgentCredentials, Communication } from '../../src/protocol/index.js';
import { answerHint, readAnswerHint } from '../../src/relay/answer-hint.js';
import { eventually, Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { openSse, type SseConnection } from '../support/sse.js';

describe('answer hints', () => {
  let server: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    server = await startServer();
    agent = await server.createAgent();
  });
  after(() => server.stop());

  async function openTask(): Promise<{ taskId: string; stream: SseConnection; page: Session }> {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'hi')).body;
    const stream = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, { authorization: `Bearer ${agent.token}` });
    // The first task event means the stream's first read is done.
    await eventually(async () => assert.ok(stream.events.some((e) => e.event === 'task')));
    return { taskId, stream, page };
  }

  const answers = (stream: SseConnection): Communication[] =>
    stream.events.filter((e) => e.event === 'response').map((e) => JSON.parse(e.data) as Communication);

  it('answers reach the stream exactly as get-responses returns them, each seq once and in order', async () => {
    const { taskId, stream, page } = await openTask();
    try {
      // One at a time (each the next seq: the hint is used), then a burst (hints meet reads in flight).
      for (let i = 0; i < 3; i++) assert.equal((await server.webhook({ taskId, response: `one by one ${i}` }, agent.token)).status, 200);
      await eventually(async () => assert.equal(answers(stream).length, 3));
      const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => server.webhook({ taskId, response: `burst ${i}` }, agent.token)));
      assert.ok(burst.every((r) => r.status === 200));
      await eventually(async () => assert.equal(answers(stream).length, 23));
      const stored = (await page.responses(taskId, '&after=0')).body.responses;
      assert.deepEqual(answers(stream), stored);
      assert.deepEqual(
        stream.events.filter((e) => e.event === 'response').map((e) => Number(e.id)),
        stored.map((r) => r.seq),
        'event ids are the seqs',
      );
      // The answers went out first; the task view that follows them catches up with the store.
      const { task } = (await page.responses(taskId, '&after=0')).body;
      await eventually(async () => {
        const views = stream.events.filter((e) => e.event === 'task').map((e) => JSON.parse(e.data) as { version: number; state: string });
        assert.deepEqual(views.at(-1), { ...views.at(-1), version: task.version, state: 'answered' });
      });
    } finally {
      stream.close();
    }
  });

  it('a hint is sent only when it is the next seq of this task; anything else waits for the store', async () => {
    const { taskId, stream } = await openTask();
    try {
      const ctx = server.built!.ctx;
      const task = (await ctx.store.getTask(taskId))!;
      const hinted = (seq: number, response: string, forTask = taskId): string =>
        JSON.stringify({ messageId: `m_hint_${seq}`, taskId: forTask, seq, direction: 'agent', agentId: agent.id, response, final: true, inReplyTo: null, createdAt: new Date(0).toISOString(), extra: 'dropped' });
      // A hint that comes while the stream is reading is left to the read, so each one is published
      // until the stream has been idle for it.
      const idle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
      // Not placeable: a gap, another task, not JSON. None of these rows exists, so a read sends nothing.
      for (let i = 0; i < 5; i++) {
        for (const hint of [hinted(task.lastSeq + 2, 'after a gap'), hinted(task.lastSeq + 1, 'for another task', 'task_other'), '{not json']) {
          await ctx.broker.publish(taskTopic(taskId), hint);
          await idle();
        }
      }
      assert.equal(answers(stream).length, 0);
      // Placeable: the very next seq. (White-box: no such row was stored, so only the hint can send it.)
      await eventually(async () => {
        await ctx.broker.publish(taskTopic(taskId), hinted(task.lastSeq + 1, 'from the hint'));
        await idle();
        assert.equal(answers(stream).length, 1);
      });
      const [sent] = answers(stream);
      assert.equal(sent?.response, 'from the hint');
      assert.equal(sent?.seq, task.lastSeq + 1);
      assert.equal((sent as unknown as Record<string, unknown>).extra, undefined, 'only the wire shape goes out');
    } finally {
      stream.close();
    }
  });

  it('readAnswerHint takes back what answerHint wrote, for its own task only', () => {
    const row = {
      taskId: 'task_1', seq: 4, messageId: 'a4', direction: 'agent' as const, agentId: 'ag', response: 'hé\n"quoted"', final: false,
      inReplyTo: 'u3', webhookId: 'wh', turnState: null, turnUpdatedAt: null, createdAt: 1_700_000_000_000,
    };
    const hint = answerHint(row);
    assert.deepEqual(readAnswerHint(hint, 'task_1'), {
      messageId: 'a4', taskId: 'task_1', seq: 4, direction: 'agent', agentId: 'ag', response: 'hé\n"quoted"', final: false,
      inReplyTo: 'u3', createdAt: new Date(1_700_000_000_000).toISOString(),
    });
    assert.equal(readAnswerHint(hint, 'task_2'), null);
    assert.equal(readAnswerHint(undefined, 'task_1'), null);
    assert.equal(readAnswerHint('[]', 'task_1'), null);
    assert.equal(readAnswerHint(JSON.stringify({ ...JSON.parse(hint), seq: 1.5 }), 'task_1'), null);
    assert.equal(readAnswerHint(JSON.stringify({ ...JSON.parse(hint), direction: 'user' }), 'task_1'), null);
  });
});
