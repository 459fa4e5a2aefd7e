// Turns, statuses, deadlines and cancel: a task's state is the state of its latest turn.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { eventually, Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

describe('turns, statuses, deadlines and cancel', () => {
  let server: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    server = await startServer({ env: { STATUS_TTL_MS: '400', TURN_TIMEOUT_MS: '1500' } });
    agent = await server.createAgent();
  });
  after(() => server.stop());

  it('moves a turn queued → working → answered, and a status expires by itself', async () => {
    const page = new Session(server.url);
    const sent = await page.send(agent.id, 'hi');
    assert.equal(sent.body.task.state, 'queued');
    await server.webhook({ taskId: sent.body.taskId, status: 'working', statusText: 'Reading…' }, agent.token);
    const working = await page.responses(sent.body.taskId);
    assert.equal(working.body.task.state, 'working');
    assert.equal(working.body.task.agentStatus?.text, 'Reading…');
    await eventually(async () => assert.equal((await page.responses(sent.body.taskId)).body.task.agentStatus, null), 3000);
    await server.webhook({ taskId: sent.body.taskId, response: 'partial', final: false }, agent.token);
    assert.equal((await page.responses(sent.body.taskId)).body.task.state, 'working');
    await server.webhook({ taskId: sent.body.taskId, response: 'done' }, agent.token);
    const done = await page.responses(sent.body.taskId);
    assert.equal(done.body.task.state, 'answered');
    assert.equal(done.body.task.turns[0]?.state, 'answered');
  });

  it('answers the turn named by inReplyTo, else the latest pending one', async () => {
    const page = new Session(server.url);
    const first = await page.send(agent.id, 'first');
    const second = await page.send(agent.id, 'second', { taskId: first.body.taskId });
    await server.webhook({ taskId: first.body.taskId, response: 'to the first', inReplyTo: first.body.messageId }, agent.token);
    let view = (await page.responses(first.body.taskId)).body.task;
    assert.deepEqual(view.turns.map((t) => t.state), ['answered', 'queued']);
    assert.equal(view.state, 'queued');
    await server.webhook({ taskId: first.body.taskId, response: 'to the latest' }, agent.token);
    view = (await page.responses(first.body.taskId)).body.task;
    assert.deepEqual(view.turns.map((t) => t.state), ['answered', 'answered']);
    const replies = (await page.responses(first.body.taskId)).body.responses.map((r) => r.inReplyTo);
    assert.deepEqual(replies, [first.body.messageId, second.body.messageId]);
    const unknown = await server.webhook({ taskId: first.body.taskId, response: 'x', inReplyTo: 'nope' }, agent.token);
    assert.equal(unknown.status, 404);
  });

  it('stores and shows a proactive message when no turn is pending', async () => {
    const page = new Session(server.url);
    const sent = await page.send(agent.id, 'hi');
    await server.webhook({ taskId: sent.body.taskId, response: 'answer' }, agent.token);
    const proactive = await server.webhook({ taskId: sent.body.taskId, response: 'By the way…' }, agent.token);
    assert.equal(proactive.status, 200);
    const read = await page.responses(sent.body.taskId);
    assert.deepEqual(read.body.responses.map((r) => [r.response, r.inReplyTo]), [['answer', sent.body.messageId], ['By the way…', null]]);
  });

  it('marks an unanswered turn failed after TURN_TIMEOUT_MS, and still accepts a late answer', async () => {
    const page = new Session(server.url);
    const sent = await page.send(agent.id, 'anyone there?');
    await eventually(async () => assert.equal((await page.responses(sent.body.taskId)).body.task.state, 'failed'), 5000, 100);
    const late = await server.webhook({ taskId: sent.body.taskId, response: 'sorry, late' }, agent.token);
    assert.equal(late.status, 200);
    assert.equal((await page.responses(sent.body.taskId)).body.task.state, 'failed');
  });

  it('cancels the pending turn; a later answer is refused with 409 TURN_CANCELED and never shown', async () => {
    const page = new Session(server.url);
    const sent = await page.send(agent.id, 'never mind');
    const canceled = await page.json<{ success: boolean; task: { state: string; turns: Array<{ messageId: string; state: string; delivery: { state: string } | null }> } }>(
      'POST',
      '/api/tasks/cancel',
      { taskId: sent.body.taskId },
    );
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.task.state, 'canceled');
    // The undelivered task is withdrawn from the outbox, and says so (not "failed").
    const turn = canceled.body.task.turns.find((t) => t.messageId === sent.body.messageId);
    assert.equal(turn?.state, 'canceled');
    assert.equal(turn?.delivery?.state, 'canceled');
    const late = await server.webhook({ taskId: sent.body.taskId, response: 'here you go' }, agent.token);
    assert.equal(late.status, 409);
    assert.equal(((await late.json()) as { error: { code: string } }).error.code, 'TURN_CANCELED');
    const named = await server.webhook({ taskId: sent.body.taskId, response: 'here', inReplyTo: sent.body.messageId }, agent.token);
    assert.equal(named.status, 409);
    assert.deepEqual((await page.responses(sent.body.taskId)).body.responses, []);
    const again = await page.json<{ error: { code: string } }>('POST', '/api/tasks/cancel', { taskId: sent.body.taskId });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'NO_PENDING_TURN');
    // Another session cannot cancel it.
    const stranger = await new Session(server.url).json('POST', '/api/tasks/cancel', { taskId: sent.body.taskId });
    assert.equal(stranger.status, 404);
  });
});
