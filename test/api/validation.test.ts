// Bad input gets a clear 4xx naming the problem, and nothing is stored.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

interface ErrorReply {
  success: false;
  error: { code: string; message: string };
}

describe('request validation', () => {
  let server: TestServer;
  let agent: AgentCredentials;
  let page: Session;
  let taskId: string;

  before(async () => {
    server = await startServer();
    agent = await server.createAgent();
    page = new Session(server.url);
    taskId = (await page.send(agent.id, 'hello')).body.taskId;
  });
  after(() => server.stop());

  async function rowCount(): Promise<number> {
    const read = await page.responses(taskId);
    return read.body.responses.length + read.body.task.turns.length;
  }

  const webhookCases: Array<[string, unknown, RegExp]> = [
    ['missing taskId', { response: 'x' }, /taskId/],
    ['taskId of the wrong type', { taskId: 42, response: 'x' }, /taskId/],
    ['a taskId with a space', { taskId: 'task 123', response: 'x' }, /taskId/],
    ['a taskId over 128 characters', { taskId: `task_${'1'.repeat(124)}`, response: 'x' }, /taskId/],
    ['an empty taskId', { taskId: '', response: 'x' }, /taskId/],
    ['response of the wrong type', { taskId: 'TASK', response: 42 }, /response/],
    ['empty response', { taskId: 'TASK', response: '' }, /response/],
    ['a response over 100,000 characters', { taskId: 'TASK', response: 'x'.repeat(100_001) }, /response.*100000/],
    ['final that is not a boolean', { taskId: 'TASK', response: 'x', final: 'yes' }, /final/],
    ['messageId with spaces', { taskId: 'TASK', response: 'x', messageId: 'has space' }, /messageId/],
    ['neither response nor status', { taskId: 'TASK' }, /response/],
    ['an array body', [1, 2], /object/],
  ];
  for (const [name, body, field] of webhookCases) {
    it(`webhook-response: 400 for ${name}`, async () => {
      const before = await rowCount();
      const json = JSON.stringify(body).replace('"TASK"', JSON.stringify(taskId));
      const response = await fetch(`${server.url}/api/communications/webhook-response`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
        body: json,
      });
      const reply = (await response.json()) as ErrorReply;
      assert.equal(response.status, 400);
      assert.equal(reply.success, false);
      assert.equal(reply.error.code, 'VALIDATION_FAILED');
      assert.match(reply.error.message, field);
      assert.equal(await rowCount(), before);
    });
  }

  const assignCases: Array<[string, unknown, RegExp, number, string]> = [
    ['missing agentId', { message: 'x' }, /agentId/, 400, 'VALIDATION_FAILED'],
    ['missing message', { agentId: 'AGENT' }, /message/, 400, 'VALIDATION_FAILED'],
    ['message of the wrong type', { agentId: 'AGENT', message: { text: 'x' } }, /message/, 400, 'VALIDATION_FAILED'],
    ['an unknown agent', { agentId: 'nobody', message: 'x' }, /nobody/, 404, 'AGENT_NOT_FOUND'],
    ['a message over 100,000 characters', { agentId: 'AGENT', message: 'x'.repeat(100_001) }, /message.*100000 characters/, 400, 'VALIDATION_FAILED'],
    ['an unknown spec-shaped taskId', { agentId: 'AGENT', message: 'x', taskId: 'task_1234567890_abc123' }, /task/i, 404, 'TASK_NOT_FOUND'],
    ['a taskId with junk in it', { agentId: 'AGENT', message: 'x', taskId: "task' OR 1=1 --" }, /taskId/, 400, 'VALIDATION_FAILED'],
  ];
  for (const [name, body, pattern, status, code] of assignCases) {
    it(`assign-user-task: ${status} for ${name}`, async () => {
      const json = JSON.stringify(body).replace('"AGENT"', JSON.stringify(agent.id));
      const reply = await page.json<ErrorReply>('POST', '/api/tasks/assign-user-task', json);
      assert.equal(reply.status, status);
      assert.equal(reply.body.error.code, code);
      assert.match(reply.body.error.message, pattern);
    });
  }

  it('names the 100,000-character limit when a test message is too long', async () => {
    const admin = { authorization: `Bearer ${server.adminToken}` };
    const reply = await page.json<ErrorReply>('POST', '/api/communications/test-response', { taskId, testMessage: 'x'.repeat(100_001) }, admin);
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, 'VALIDATION_FAILED');
    assert.match(reply.body.error.message, /testMessage.*100000 characters/);
  });

  it('answers 400 INVALID_JSON for malformed JSON and 415 for other content types', async () => {
    const bad = await page.json<ErrorReply>('POST', '/api/tasks/assign-user-task', '{"agentId": ', { 'content-type': 'application/json' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_JSON');
    const text = await page.json<ErrorReply>('POST', '/api/tasks/assign-user-task', 'agentId=x', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const poisoned = await page.json<ErrorReply>('POST', '/api/tasks/assign-user-task', `{"agentId":"${agent.id}","message":"x","__proto__":{"admin":true}}`);
    assert.equal(poisoned.status, 400);
  });

  it('answers 413 for a body over 256 KB and stores nothing', async () => {
    const before = await rowCount();
    const response = await fetch(`${server.url}/api/communications/webhook-response`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
      body: JSON.stringify({ taskId, response: 'x'.repeat(300 * 1024) }),
    });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as ErrorReply).error.code, 'BODY_TOO_LARGE');
    assert.equal(await rowCount(), before);
  });

  it('answers 400 for bad query parameters and 404 JSON for unknown routes', async () => {
    for (const query of ['', '?taskId=no%20pe', `?taskId=${'t'.repeat(129)}`, `?taskId=${taskId}&after=-1`, `?taskId=${taskId}&after=abc`, `?taskId=${taskId}&wait=999`]) {
      const reply = await page.json<ErrorReply>('GET', `/api/communications/get-responses${query}`);
      assert.equal(reply.status, 400, query);
      assert.equal(reply.body.error.code, 'VALIDATION_FAILED');
    }
    const unknownTask = await page.json<ErrorReply>('GET', '/api/communications/get-responses?taskId=nope');
    assert.equal(unknownTask.status, 404, 'a well-formed but unknown task ID is not found, not malformed');
    assert.equal(unknownTask.body.error.code, 'TASK_NOT_FOUND');
    const missing = await page.json<ErrorReply>('GET', '/api/nothing-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
  });
});
