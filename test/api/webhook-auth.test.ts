// Who may answer a task: its own agent only, by bearer token or Standard Webhooks signature.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

const PATH = '/api/communications/webhook-response';

function signed(secret: string, body: string, at = new Date(), id = `msg_${randomUUID()}`): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

describe('webhook authentication', () => {
  let server: TestServer;
  let agent: AgentCredentials;
  let other: AgentCredentials;
  let taskId: string;
  let page: Session;

  before(async () => {
    server = await startServer();
    agent = await server.createAgent({ name: 'Owner' });
    other = await server.createAgent({ name: 'Other' });
    page = new Session(server.url);
    taskId = (await page.send(agent.id, 'hello')).body.taskId;
  });
  after(() => server.stop());

  async function post(body: unknown, headers: Record<string, string>) {
    const response = await fetch(`${server.url}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { success: boolean; duplicate?: boolean; error?: { code: string; message: string } } };
  }

  async function count(): Promise<number> {
    return (await page.responses(taskId)).body.responses.length;
  }

  it('refuses a request with no credentials (401)', async () => {
    const r = await post({ taskId, response: 'x' }, {});
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 'UNAUTHENTICATED');
  });

  it('refuses a wrong token (401)', async () => {
    const r = await post({ taskId, response: 'x' }, { authorization: 'Bearer wct_not-a-real-token' });
    assert.equal(r.status, 401);
  });

  it("refuses another agent's token on this task (403)", async () => {
    const r = await post({ taskId, response: 'x' }, { authorization: `Bearer ${other.token}` });
    assert.equal(r.status, 403);
    assert.equal(r.body.error?.code, 'FORBIDDEN');
  });

  it('answers 404 for an unknown task', async () => {
    const r = await post({ taskId: 'task_1700000000000_0123456789abcdef0123456789abcdef', response: 'x' }, { authorization: `Bearer ${agent.token}` });
    assert.equal(r.status, 404);
    assert.equal(r.body.error?.code, 'TASK_NOT_FOUND');
  });

  it('accepts a valid signature and rejects a bad one, another secret, a stale and a future timestamp', async () => {
    const before = await count();
    const body = JSON.stringify({ taskId, response: 'signed answer', final: false });
    assert.equal((await post(body, signed(agent.signingSecret, body))).status, 200);
    assert.equal(await count(), before + 1);

    const tampered = signed(agent.signingSecret, body);
    const altered = JSON.stringify({ taskId, response: 'tampered', final: false });
    const bad = await post(altered, tampered);
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error?.code, 'SIGNATURE_INVALID');

    assert.equal((await post(body, signed(other.signingSecret, body))).status, 401);
    const stale = await post(body, signed(agent.signingSecret, body, new Date(Date.now() - 6 * 60_000)));
    assert.equal(stale.status, 401);
    assert.match(stale.body.error?.message ?? '', /5 minutes/);
    assert.equal((await post(body, signed(agent.signingSecret, body, new Date(Date.now() + 6 * 60_000)))).status, 401);
    const partial = signed(agent.signingSecret, body);
    delete partial['webhook-signature'];
    assert.equal((await post(body, partial)).status, 401);
    assert.equal(await count(), before + 1);
  });

  it('stores a replayed signed request once (duplicate: true)', async () => {
    const before = await count();
    const body = JSON.stringify({ taskId, response: 'once only', final: false });
    const headers = signed(agent.signingSecret, body);
    const first = await post(body, headers);
    const replay = await post(body, headers);
    assert.equal(first.status, 200);
    assert.equal(first.body.duplicate, false);
    assert.equal(replay.status, 200);
    assert.equal(replay.body.duplicate, true);
    assert.equal(await count(), before + 1);
  });

  it('stores and changes nothing on any 401 or 403, answers or statuses, and a refused webhook-id stays unused', async () => {
    // Everything a refused request could touch: answers, turns, status, and the task's version
    // (bumped by every write to the task).
    const snapshot = async (): Promise<string> => {
      const read = await fetch(`${server.url}/api/communications/get-responses?taskId=${taskId}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
      assert.equal(read.status, 200, 'the admin can read the task');
      const { responses, cursor, task } = (await read.json()) as Record<string, unknown>;
      return JSON.stringify({ responses, cursor, task });
    };
    const webhookId = `msg_${randomUUID()}`;
    const before = await snapshot();
    for (const payload of [{ taskId, response: 'refused answer' }, { taskId, status: 'working', statusText: 'refused status' }]) {
      const body = JSON.stringify(payload);
      const tampered = signed(agent.signingSecret, JSON.stringify({ ...payload, extra: 1 }), new Date(), webhookId);
      const partial = signed(agent.signingSecret, body, new Date(), webhookId);
      delete partial['webhook-signature'];
      const attempts: Array<[string, Record<string, string>, number, string]> = [
        ['no credentials', {}, 401, 'UNAUTHENTICATED'],
        ['a wrong bearer token', { authorization: 'Bearer wct_not-a-real-token', 'webhook-id': webhookId }, 401, 'UNAUTHENTICATED'],
        ['the admin token', { authorization: `Bearer ${server.adminToken}` }, 401, 'UNAUTHENTICATED'],
        ['a tampered body', tampered, 401, 'SIGNATURE_INVALID'],
        ["another agent's secret", signed(other.signingSecret, body, new Date(), webhookId), 401, 'SIGNATURE_INVALID'],
        ['a stale timestamp', signed(agent.signingSecret, body, new Date(Date.now() - 6 * 60_000), webhookId), 401, 'SIGNATURE_INVALID'],
        ['a missing signature', partial, 401, 'SIGNATURE_INVALID'],
        ["another agent's token", { authorization: `Bearer ${other.token}`, 'webhook-id': webhookId }, 403, 'FORBIDDEN'],
      ];
      for (const [name, headers, status, code] of attempts) {
        const r = await post(body, headers);
        assert.deepEqual([r.status, r.body.error?.code], [status, code], `${name} (${Object.keys(payload).join(', ')})`);
        assert.equal(await snapshot(), before, `${name} changed the task`);
      }
    }
    // Had a refused request been stored under its webhook-id, this would be a duplicate (or 409).
    const body = JSON.stringify({ taskId, response: 'accepted after refusals', final: false });
    const accepted = await post(body, signed(agent.signingSecret, body, new Date(), webhookId));
    assert.deepEqual([accepted.status, accepted.body.duplicate], [200, false]);
  });

  it('lets the agent read its own task with its token, and nobody else', async () => {
    const own = await fetch(`${server.url}/api/communications/get-responses?taskId=${taskId}`, { headers: { authorization: `Bearer ${agent.token}` } });
    assert.equal(own.status, 200);
    const foreign = await fetch(`${server.url}/api/communications/get-responses?taskId=${taskId}`, { headers: { authorization: `Bearer ${other.token}` } });
    assert.equal(foreign.status, 404);
  });
});
