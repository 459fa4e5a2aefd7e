/** The examples run in one command each, and answer real tasks. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { eventually, Session } from '../support/client.js';
import { ROOT } from '../support/server.js';
import { admin, startTestServer } from './helpers.js';

interface Example {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<number | null>;
}

function runExample(t: TestContext, file: string, env: Record<string, string>): Example {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, file)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, output: () => output, exited };
}

test('examples/echo-agent verifies webhooks and answers them', async (t) => {
  const server = await startTestServer(t, {});
  // Registered without an endpoint first: the agent needs its secret before it can start.
  const agent = await server.createAgent({ name: 'Echo example' });
  const echo = runExample(t, 'examples/echo-agent/index.ts', { SIGNING_SECRET: agent.signingSecret, AGENT_TOKEN: agent.token, PORT: '0' });
  const endpoint = await eventually(() => {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/webhook)/.exec(echo.output());
    assert.ok(match, `not listening yet: ${echo.output()}`);
    return match[1] as string;
  }, 20_000);
  assert.equal((await admin(server, 'PATCH', `/api/agents/${agent.id}`, { endpointUrl: endpoint })).status, 200);

  const session = new Session(server.url);
  const sent = await session.send(agent.id, 'Hello, echo');
  await eventually(async () => {
    const page = await session.responses(sent.body.taskId);
    assert.deepEqual(page.body.responses.map((r) => [r.response, r.inReplyTo]), [['Echo: Hello, echo', sent.body.messageId]]);
    assert.equal(page.body.task.state, 'answered');
  }, 10_000);

  // An unsigned request is refused.
  const forged = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"task.message"}' });
  assert.equal(forged.status, 401);
  echo.child.kill('SIGTERM');
  assert.equal(await echo.exited, 0);
});

test('examples/pull-agent answers tasks it pulls and stops on SIGTERM', async (t) => {
  const server = await startTestServer(t, {});
  const agent = await server.createAgent({ name: 'Pull example' });
  const puller = runExample(t, 'examples/pull-agent/index.ts', { AGENT_TOKEN: agent.token, WEBHOOK_CHAT_URL: server.url });
  const session = new Session(server.url);
  const sent = await session.send(agent.id, 'Hello, puller');
  await eventually(async () => {
    const page = await session.responses(sent.body.taskId);
    assert.deepEqual(page.body.responses.map((r) => r.response), ['You said: Hello, puller']);
    assert.equal(page.body.task.turns[0]?.delivery?.state, 'delivered');
  }, 15_000);
  const stoppedAt = Date.now();
  puller.child.kill('SIGTERM');
  assert.equal(await puller.exited, 0);
  assert.ok(Date.now() - stoppedAt < 5000, 'stops without waiting out its long-poll');
  assert.match(puller.output(), /Pull agent stopped/);
});

test('examples/pull-agent exits 1 on a refused token, and both examples explain missing settings', async (t) => {
  const server = await startTestServer(t, {});
  const refused = runExample(t, 'examples/pull-agent/index.ts', { AGENT_TOKEN: 'wct_wrong', WEBHOOK_CHAT_URL: server.url });
  assert.equal(await refused.exited, 1);
  assert.match(refused.output(), /Send Authorization: Bearer/);
  const bare = runExample(t, 'examples/echo-agent/index.ts', {});
  assert.equal(await bare.exited, 2);
  assert.match(bare.output(), /Set SIGNING_SECRET and AGENT_TOKEN/);
});
