// The demo Echo agent: failed calls back to Webhook Chat are logged (without secrets), and the
// webhook-ids it remembers for de-duplication are capped, least recently seen forgotten first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startEchoAgent, type RunningEchoAgent } from '../../src/demo/echo-agent.js';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { eventually, Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

interface Logged {
  details: Record<string, unknown>;
  message: string;
}

describe('demo Echo agent', () => {
  const REVOKED = 'wct_revoked-token-that-must-never-be-logged';
  const SECRET_TEXT = 'a private question the logs must not repeat';
  let server: TestServer;
  let agent: AgentCredentials;
  let echo: RunningEchoAgent;
  let taskId: string;
  let messageId: string;
  const logged: Logged[] = [];

  before(async () => {
    server = await startServer();
    agent = await server.createAgent({ name: 'Echo under test' });
    const sent = (await new Session(server.url).send(agent.id, SECRET_TEXT)).body;
    ({ taskId, messageId } = sent);
    // A token Webhook Chat does not know: every call back is refused with 401.
    echo = await startEchoAgent({
      serverUrl: server.url,
      token: REVOKED,
      signingSecret: agent.signingSecret,
      thinkMs: 0,
      rememberIds: 2,
      log: { warn: (details, message) => logged.push({ details, message }) },
    });
  });
  after(async () => {
    await echo.close();
    await server.stop();
  });

  /** Sends the echo agent a task webhook as Webhook Chat would; returns whether it was a repeat. */
  async function deliver(webhookId: string): Promise<boolean> {
    const body = JSON.stringify({ type: 'task.message', taskId, messageId, agentId: agent.id, message: SECRET_TEXT });
    const at = new Date();
    const response = await fetch(echo.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': webhookId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(agent.signingSecret).sign(webhookId, at, body),
      },
      body,
    });
    assert.equal(response.status, 200, `delivery ${webhookId} is acknowledged`);
    return ((await response.json()) as { duplicate: boolean }).duplicate;
  }

  const answerFailures = (): string[] =>
    logged.filter((l) => l.message.includes('could not send its answer')).map((l) => String(l.details.webhookId));

  it('logs the refused status and answer with the task and the error code, never the token or the text', async () => {
    assert.equal(await deliver('dlv_log'), false);
    const entries = await eventually(() => {
      const mine = logged.filter((l) => l.details.webhookId === 'dlv_log');
      assert.equal(mine.length, 2, 'the status and the answer failures are both logged');
      return mine;
    });
    assert.deepEqual(entries.map((l) => l.message).sort(), ['echo agent: could not send its answer', 'echo agent: could not set its status']);
    for (const { details } of entries) {
      assert.deepEqual([details.taskId, details.messageId, details.status, details.code], [taskId, messageId, 401, 'UNAUTHENTICATED']);
    }
    const text = JSON.stringify(logged);
    assert.ok(!text.includes(REVOKED), 'the token is not logged');
    assert.ok(!text.includes(SECRET_TEXT), 'the message text is not logged');
    assert.ok(!text.includes(agent.signingSecret), 'the signing secret is not logged');
  });

  it('remembers only the most recently seen webhook-ids (rememberIds)', async () => {
    // With room for 2: A, B, A (repeat), C (forgets B, the least recently seen), A (repeat), B (new again).
    const seen = [];
    for (const id of ['dlv_a', 'dlv_b', 'dlv_a', 'dlv_c', 'dlv_a', 'dlv_b']) seen.push(await deliver(id));
    assert.deepEqual(seen, [false, false, true, false, true, false]);
    // Each delivery it handled led to one (refused, logged) answer; repeats led to none.
    const handled = await eventually(() => {
      const ids = answerFailures().filter((id) => id !== 'dlv_log');
      assert.equal(ids.length, 4, 'every handled delivery has been answered');
      return ids;
    });
    assert.deepEqual(handled.sort(), ['dlv_a', 'dlv_b', 'dlv_b', 'dlv_c']);
  });
});
