// Task IDs in lookups: any plausible ID that names no task is 404 TASK_NOT_FOUND (like the spec's
// `task_1234567890_abc123`); junk and oversized IDs are 400 VALIDATION_FAILED. New IDs keep their shape.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TASK_ID_PATTERN, type AgentCredentials } from '../../src/protocol/index.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

interface ErrorReply {
  success: false;
  error: { code: string; message: string };
}

const PLAUSIBLE = ['task_1234567890_abc123', 'task_1700000000000_0123456789abcdef0123456789abcdef', 'my-task-42', 'T'.repeat(128)];
const JUNK = ['task 1', 'task/1', "task' OR 1=1 --", 'tâsk_1', 't'.repeat(129), ''];

describe('task IDs in lookups', () => {
  let server: TestServer;
  let agent: AgentCredentials;
  let page: Session;

  before(async () => {
    server = await startServer({ env: { ENABLE_TEST_ENDPOINT: '1' } });
    agent = await server.createAgent();
    page = new Session(server.url);
    await page.request('GET', '/api/agents'); // starts the session, as the page does
  });
  after(() => server.stop());

  const q = (id: string): string => encodeURIComponent(id);
  const lookups: Array<[string, (id: string) => Promise<{ status: number; body: ErrorReply }>]> = [
    ['webhook-response', (id) => page.json('POST', '/api/communications/webhook-response', { taskId: id, response: 'x' }, { authorization: `Bearer ${agent.token}` })],
    ['get-responses', (id) => page.json('GET', `/api/communications/get-responses?taskId=${q(id)}`)],
    ['get-responses (long-poll)', (id) => page.json('GET', `/api/communications/get-responses?taskId=${q(id)}&wait=5`)],
    ['stream', (id) => page.json('GET', `/api/communications/stream?taskId=${q(id)}`)],
    ['test-response', (id) => page.json('POST', '/api/communications/test-response', { taskId: id })],
    ['cancel', (id) => page.json('POST', '/api/tasks/cancel', { taskId: id })],
    ['assign-user-task (continue a task)', (id) => page.json('POST', '/api/tasks/assign-user-task', { agentId: agent.id, message: 'x', taskId: id })],
  ];

  for (const [name, lookup] of lookups) {
    it(`${name}: 404 TASK_NOT_FOUND for unknown but plausible IDs, 400 for junk`, async () => {
      for (const id of PLAUSIBLE) {
        const reply = await lookup(id);
        assert.deepEqual([reply.status, reply.body.error.code], [404, 'TASK_NOT_FOUND'], `"${id}"`);
      }
      for (const id of JUNK) {
        const reply = await lookup(id);
        assert.deepEqual([reply.status, reply.body.error.code], [400, 'VALIDATION_FAILED'], `"${id}"`);
        assert.match(reply.body.error.message, /taskId/, `"${id}": the message names the field`);
      }
    });
  }

  it('still generates task IDs of the documented shape', async () => {
    const { status, body } = await page.send(agent.id, 'hello');
    assert.equal(status, 201);
    assert.match(body.taskId, new RegExp(TASK_ID_PATTERN));
  });
});
