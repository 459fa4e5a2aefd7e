/** The agent SDK against a real server: verify webhooks, answer, post statuses, run a pull loop. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentClient, verifyTaskWebhook, WebhookChatError, WebhookVerificationError, type AgentWebhook } from '../../src/sdk/index.js';
import { eventually, Session } from '../support/client.js';
import { deliveriesOf, pushRig, receivedFor, startTestServer } from './helpers.js';

test('verifyTaskWebhook accepts what the server sent, with Node or fetch headers, and refuses tampering', async (t) => {
  const { agentServer, agent, session } = await pushRig(t);
  const sent = await session.send(agent.id, 'Verify me');
  const hit = await eventually(() => {
    const [first] = receivedFor(agentServer, sent.body.taskId);
    assert.ok(first, 'no webhook yet');
    return first;
  });
  const event = verifyTaskWebhook(agent.signingSecret, hit.raw, hit.headers);
  assert.equal(event.type, 'task.message');
  assert.equal(event.taskId, sent.body.taskId);
  const fetchHeaders = new Headers();
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) fetchHeaders.set(name, String(hit.headers[name]));
  assert.equal(verifyTaskWebhook(agent.signingSecret, Buffer.from(hit.raw), fetchHeaders).taskId, sent.body.taskId);
  const otherSecret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
  assert.equal(verifyTaskWebhook([otherSecret, agent.signingSecret], hit.raw, hit.headers).taskId, sent.body.taskId, 'any secret of a list may match');

  assert.throws(() => verifyTaskWebhook(otherSecret, hit.raw, hit.headers), WebhookVerificationError);
  assert.throws(() => verifyTaskWebhook(agent.signingSecret, hit.raw.replace('Verify me', 'Verify you'), hit.headers), WebhookVerificationError);
  assert.throws(() => verifyTaskWebhook(agent.signingSecret, hit.raw, { ...hit.headers, 'webhook-id': 'dlv_other' }), WebhookVerificationError);
  assert.throws(() => verifyTaskWebhook(agent.signingSecret, hit.raw, {}), WebhookVerificationError);
});

test('AgentClient.respond is idempotent on messageId, supports partial answers, and setStatus shows a status', async (t) => {
  const server = await startTestServer(t, {});
  const agent = await server.createAgent({ name: 'SDK agent' });
  const session = new Session(server.url);
  const client = new AgentClient({ baseUrl: `${server.url}/`, token: agent.token });
  const sent = await session.send(agent.id, 'Question');
  const { taskId, messageId } = sent.body;

  const status = await client.setStatus(taskId, 'working', 'Thinking…');
  assert.equal(status.success, true);
  let page = await session.responses(taskId);
  assert.deepEqual(page.body.task.agentStatus, { status: 'working', text: 'Thinking…', expiresAt: (page.body.task.agentStatus as { expiresAt: string } | null)?.expiresAt });
  assert.equal(page.body.task.turns[0]?.state, 'working');

  const partial = await client.respond(taskId, 'First half…', { final: false, messageId: 'part-1', inReplyTo: messageId });
  assert.equal(partial.duplicate, false);
  assert.equal((await session.responses(taskId)).body.task.state, 'working');
  const final = await client.respond(taskId, 'The answer', { messageId: 'answer-1', inReplyTo: messageId });
  const repeat = await client.respond(taskId, 'The answer', { messageId: 'answer-1', inReplyTo: messageId });
  assert.equal(final.duplicate, false);
  assert.equal(repeat.duplicate, true);
  assert.equal(repeat.seq, final.seq);

  page = await session.responses(taskId);
  assert.deepEqual(
    page.body.responses.map((r) => [r.messageId, r.response, r.final, r.inReplyTo]),
    [
      ['part-1', 'First half…', false, messageId],
      ['answer-1', 'The answer', true, messageId],
    ],
  );
  assert.equal(page.body.task.state, 'answered');
  assert.equal(page.body.task.agentStatus, null, 'a final answer clears the status');
});

test('AgentClient errors carry the server\'s code and are not retried when retrying cannot help', async (t) => {
  const server = await startTestServer(t, {});
  const agent = await server.createAgent({ name: 'SDK agent' });
  const session = new Session(server.url);
  const sent = await session.send(agent.id, 'Cancel me');

  const wrong = new AgentClient({ baseUrl: server.url, token: 'wct_wrong' });
  const started = Date.now();
  await assert.rejects(wrong.respond(sent.body.taskId, 'hi'), (error: unknown) => {
    assert.ok(error instanceof WebhookChatError, 'a WebhookChatError');
    assert.equal(error.status, 401);
    assert.equal(error.code, 'UNAUTHENTICATED');
    return true;
  });
  assert.ok(Date.now() - started < 1000, 'a 401 is not retried');

  const client = new AgentClient({ baseUrl: server.url, token: agent.token });
  assert.equal((await session.json('POST', '/api/tasks/cancel', { taskId: sent.body.taskId })).status, 200);
  await assert.rejects(client.respond(sent.body.taskId, 'too late'), { name: 'WebhookChatError', code: 'TURN_CANCELED', status: 409 });

  const unreachable = new AgentClient({ baseUrl: 'http://127.0.0.1:1', token: agent.token, retries: 2 });
  await assert.rejects(unreachable.respond(sent.body.taskId, 'hi'), TypeError);
});

test('runPullLoop hands each task to the handler, acknowledges it, and stops at once when aborted', async (t) => {
  const server = await startTestServer(t, {});
  const agent = await server.createAgent({ name: 'Pull agent' });
  const session = new Session(server.url);
  const client = new AgentClient({ baseUrl: server.url, token: agent.token });
  const stop = new AbortController();
  const seen: AgentWebhook[] = [];
  const errors: unknown[] = [];
  const loop = client.runPullLoop(
    async (event) => {
      seen.push(event);
      if (event.type === 'task.message') await client.respond(event.taskId, `Echo: ${event.message}`, { inReplyTo: event.messageId });
    },
    { signal: stop.signal, waitSeconds: 30, onError: (error) => errors.push(error) },
  );
  t.after(() => stop.abort());

  const sent = await session.send(agent.id, 'Ping');
  await eventually(async () => {
    const page = await session.responses(sent.body.taskId);
    assert.deepEqual(page.body.responses.map((r) => r.response), ['Echo: Ping']);
    assert.equal((await deliveriesOf(server, sent.body.taskId))[0]?.state, 'delivered');
  });
  assert.equal(seen.length, 1);

  // The loop is now inside a 30 s long-poll; aborting ends it at once.
  const stoppedAt = Date.now();
  stop.abort();
  await loop;
  assert.ok(Date.now() - stoppedAt < 1000, `stopped after ${Date.now() - stoppedAt} ms`);
  assert.deepEqual(errors, []);
});

test('a handler that throws leaves the task to be offered again', async (t) => {
  const server = await startTestServer(t, { env: { PULL_LEASE_MS: '300' } });
  const agent = await server.createAgent({ name: 'Flaky pull agent' });
  const session = new Session(server.url);
  const client = new AgentClient({ baseUrl: server.url, token: agent.token });
  const stop = new AbortController();
  t.after(() => stop.abort());
  const attempts: number[] = [];
  const errors: unknown[] = [];
  const loop = client.runPullLoop(
    async (_event, task) => {
      attempts.push(task.attempt);
      if (task.attempt === 1) throw new Error('handler crashed');
    },
    { signal: stop.signal, waitSeconds: 5, onError: (error) => errors.push(error) },
  );
  const sent = await session.send(agent.id, 'Try twice');
  await eventually(async () => assert.equal((await deliveriesOf(server, sent.body.taskId))[0]?.state, 'delivered'));
  assert.deepEqual(attempts, [1, 2]);
  assert.equal((errors[0] as Error | undefined)?.message, 'handler crashed');
  stop.abort();
  await loop;
});

test('a pull loop with a refused token rejects instead of retrying forever', async (t) => {
  const server = await startTestServer(t, {});
  const refused = new AgentClient({ baseUrl: server.url, token: 'wct_wrong' });
  const errors: unknown[] = [];
  await assert.rejects(refused.runPullLoop(async () => undefined, { waitSeconds: 1, onError: (e) => errors.push(e) }), {
    name: 'WebhookChatError',
    status: 401,
    code: 'UNAUTHENTICATED',
  });
  assert.deepEqual(errors, []);
});
