// Authentication and authorisation under attack: forged, unsigned, stale, future and replayed
// webhook signatures; another agent's credentials; another browser session; rotated credentials;
// the admin API; the test endpoint; cross-site POSTs. Every refusal is also checked to store and
// change nothing, by a fingerprint of the SQLite file taken before and after.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { fingerprint, openReadOnly, signedHeaders } from './helpers.js';

const WEBHOOK = '/api/communications/webhook-response';

interface Answer {
  status: number;
  body: { success: boolean; duplicate?: boolean; messageId?: string; error?: { code: string; message: string } };
}

async function call(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const response = await fetch(url, { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body }) });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** A well-formed task ID that no one created. */
const randomTaskId = (): string => `task_${Date.now()}_${randomUUID().replace(/-/g, '')}`;

describe('authentication and authorisation', () => {
  let server: TestServer;
  let db: Database.Database;
  let agent: AgentCredentials;
  let other: AgentCredentials;
  let owner: Session;
  let stranger: Session;
  let taskId: string;

  before(async () => {
    server = await startServer();
    agent = await server.createAgent({ name: 'Owner agent' });
    other = await server.createAgent({ name: 'Other agent' });
    owner = new Session(server.url);
    stranger = new Session(server.url);
    const sent = await owner.send(agent.id, 'hello');
    assert.equal(sent.status, 201);
    taskId = sent.body.taskId;
    await stranger.json('GET', '/api/agents');
    db = openReadOnly(server.databaseUrl);
  });
  after(async () => {
    db?.close();
    await server?.stop();
  });

  /** Runs `attempt`, asserts its status and code, and that nothing stored changed. */
  async function refused(attempt: () => Promise<Answer>, status: number, code: string): Promise<Answer> {
    const before = fingerprint(db);
    const answer = await attempt();
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.success, false);
    assert.equal(answer.body.error?.code, code);
    assert.equal(fingerprint(db), before, 'a refused request changed stored state');
    return answer;
  }

  const signedPost = (secret: string, body: object, at = new Date(), id = `wh_${randomUUID()}`) => {
    const text = JSON.stringify(body);
    return () => call(`${server.url}${WEBHOOK}`, 'POST', signedHeaders(secret, id, text, at), text);
  };

  describe('webhook signatures', () => {
    it('accepts a valid signature, and one within the 5-minute tolerance either way', async () => {
      for (const skew of [0, -240_000, 240_000]) {
        const answer = await signedPost(agent.signingSecret, { taskId, response: `signed ${skew}`, final: false }, new Date(Date.now() + skew))();
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.duplicate, false);
      }
    });

    it('refuses a forged signature (wrong secret) with 401', async () => {
      const forged = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
      await refused(signedPost(forged, { taskId, response: 'forged' }), 401, 'SIGNATURE_INVALID');
    });

    it('refuses an unsigned request, and one with only some signature headers', async () => {
      await refused(() => call(`${server.url}${WEBHOOK}`, 'POST', {}, JSON.stringify({ taskId, response: 'unsigned' })), 401, 'UNAUTHENTICATED');
      const text = JSON.stringify({ taskId, response: 'partial' });
      const full = signedHeaders(agent.signingSecret, `wh_${randomUUID()}`, text);
      for (const drop of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        const headers = { ...full };
        delete headers[drop];
        await refused(() => call(`${server.url}${WEBHOOK}`, 'POST', headers, text), 401, 'SIGNATURE_INVALID');
      }
    });

    it('refuses a signature over a different body, id or timestamp', async () => {
      const text = JSON.stringify({ taskId, response: 'original' });
      const id = `wh_${randomUUID()}`;
      const headers = signedHeaders(agent.signingSecret, id, text);
      await refused(() => call(`${server.url}${WEBHOOK}`, 'POST', headers, JSON.stringify({ taskId, response: 'tampered' })), 401, 'SIGNATURE_INVALID');
      await refused(() => call(`${server.url}${WEBHOOK}`, 'POST', { ...headers, 'webhook-id': `${id}x` }, text), 401, 'SIGNATURE_INVALID');
      const later = String(Number(headers['webhook-timestamp']) + 1);
      await refused(() => call(`${server.url}${WEBHOOK}`, 'POST', { ...headers, 'webhook-timestamp': later }, text), 401, 'SIGNATURE_INVALID');
    });

    it('refuses stale (over 5 minutes old) and future (over 5 minutes ahead) signatures', async () => {
      for (const skew of [-301_000, -86_400_000, 301_000, 86_400_000]) {
        await refused(signedPost(agent.signingSecret, { taskId, response: `skew ${skew}` }, new Date(Date.now() + skew)), 401, 'SIGNATURE_INVALID');
      }
    });

    it('stores a replayed request once: replays answer duplicate and change nothing, even concurrently', async () => {
      // A new turn, so the replay could only do harm by answering it again.
      assert.equal((await owner.send(agent.id, 'second question', { taskId })).status, 201);
      const id = `wh_${randomUUID()}`;
      const text = JSON.stringify({ taskId, response: 'the one true answer' });
      const headers = signedHeaders(agent.signingSecret, id, text);
      const first = await call(`${server.url}${WEBHOOK}`, 'POST', headers, text);
      assert.equal(first.status, 200);
      assert.equal(first.body.duplicate, false);
      const stored = fingerprint(db);

      // The user asks again; a replay of the old answer must not answer the new turn.
      assert.equal((await owner.send(agent.id, 'third question', { taskId })).status, 201);
      const afterQuestion = fingerprint(db);
      for (let i = 0; i < 3; i++) {
        const replay = await call(`${server.url}${WEBHOOK}`, 'POST', headers, text);
        assert.deepEqual([replay.status, replay.body.duplicate, replay.body.messageId], [200, true, first.body.messageId]);
      }
      const concurrent = await Promise.all(Array.from({ length: 8 }, () => call(`${server.url}${WEBHOOK}`, 'POST', headers, text)));
      for (const replay of concurrent) assert.deepEqual([replay.status, replay.body.duplicate], [200, true]);
      assert.equal(fingerprint(db), afterQuestion, 'replays stored or changed something');
      assert.notEqual(stored, afterQuestion);

      // The same webhook-id with a different (validly signed) body is still the same delivery.
      const changed = JSON.stringify({ taskId, response: 'a different answer', final: true });
      const again = await call(`${server.url}${WEBHOOK}`, 'POST', signedHeaders(agent.signingSecret, id, changed), changed);
      assert.deepEqual([again.status, again.body.duplicate], [200, true]);
      assert.equal(fingerprint(db), afterQuestion);
      const rows = db.prepare("SELECT response FROM communications WHERE webhook_id = ? AND direction = 'agent'").all(id) as Array<{ response: string }>;
      assert.deepEqual(rows, [{ response: 'the one true answer' }]);
      const turns = (await owner.responses(taskId)).body.task.turns;
      const turn = turns.at(-1);
      assert.equal(turn?.state, 'queued', 'the new turn is still waiting for its answer');
    });

    it('does not let a body claim a webhook-id: only a verified signature sets it', async () => {
      const messageId = `claim-${randomUUID()}`;
      const answer = await call(`${server.url}${WEBHOOK}`, 'POST', { authorization: `Bearer ${agent.token}` }, JSON.stringify({ taskId, response: 'bearer', messageId, webhookId: 'wh_forged' }));
      assert.equal(answer.status, 200);
      const row = db.prepare('SELECT webhook_id FROM communications WHERE message_id = ?').get(messageId) as { webhook_id: string | null };
      assert.equal(row.webhook_id, null);
    });
  });

  describe("another agent's credentials", () => {
    it("refuses another agent's token (403) and signature (401) on a task not its own", async () => {
      await refused(() => call(`${server.url}${WEBHOOK}`, 'POST', { authorization: `Bearer ${other.token}` }, JSON.stringify({ taskId, response: 'hijack' })), 403, 'FORBIDDEN');
      await refused(signedPost(other.signingSecret, { taskId, response: 'hijack' }), 401, 'SIGNATURE_INVALID');
    });

    it("cannot read or stream another agent's task: the same 404 as a task that does not exist", async () => {
      const auth = { authorization: `Bearer ${other.token}` };
      const theirs = await refused(() => call(`${server.url}/api/communications/get-responses?taskId=${taskId}`, 'GET', auth), 404, 'TASK_NOT_FOUND');
      const missing = await call(`${server.url}/api/communications/get-responses?taskId=${randomTaskId()}`, 'GET', auth);
      assert.deepEqual(theirs, missing);
      const stream = await call(`${server.url}/api/communications/stream?taskId=${taskId}`, 'GET', auth);
      assert.deepEqual(stream, missing);
    });

    it("cannot acknowledge another agent's pulled task", async () => {
      const list = await call(`${server.url}/api/admin/deliveries?agentId=${agent.id}`, 'GET', { authorization: `Bearer ${server.adminToken}` });
      const deliveryId = (list.body as unknown as { deliveries: Array<{ id: string }> }).deliveries[0]?.id;
      assert.ok(deliveryId);
      await refused(() => call(`${server.url}/api/agent/tasks/${deliveryId}/ack`, 'POST', { authorization: `Bearer ${other.token}` }), 404, 'DELIVERY_NOT_FOUND');
    });
  });

  describe('another browser session', () => {
    it('cannot read, stream, continue or cancel a task it did not create, and learns nothing of its existence', async () => {
      const ghost = randomTaskId();
      const pairs: Array<[string, (id: string) => Promise<Answer>]> = [
        ['get-responses', (id) => stranger.json('GET', `/api/communications/get-responses?taskId=${id}`) as Promise<Answer>],
        ['long-poll', (id) => stranger.json('GET', `/api/communications/get-responses?taskId=${id}&wait=5`) as Promise<Answer>],
        ['stream', (id) => stranger.json('GET', `/api/communications/stream?taskId=${id}`) as Promise<Answer>],
        ['assign', (id) => stranger.json('POST', '/api/tasks/assign-user-task', { agentId: agent.id, taskId: id, message: 'let me in' }) as Promise<Answer>],
        ['cancel', (id) => stranger.json('POST', '/api/tasks/cancel', { taskId: id }) as Promise<Answer>],
      ];
      for (const [name, attempt] of pairs) {
        const theirs = await refused(() => attempt(taskId), 404, 'TASK_NOT_FOUND');
        const missing = await attempt(ghost);
        assert.deepEqual(theirs, missing, `${name}: another session's task must look like a missing one`);
      }
      // Without any cookie it is the same.
      const anonymous = await call(`${server.url}/api/communications/get-responses?taskId=${taskId}`, 'GET');
      assert.deepEqual([anonymous.status, anonymous.body.error?.code], [404, 'TASK_NOT_FOUND']);
    });
  });

  describe('rotated credentials', () => {
    it('keeps old credentials during the grace period and revokes them with graceSeconds=0', async () => {
      const admin = { authorization: `Bearer ${server.adminToken}` };
      const rotatable = await server.createAgent({ name: 'Rotating agent' });
      const page = new Session(server.url);
      const task = (await page.send(rotatable.id, 'rotate me')).body.taskId;
      const bearerPost = (token: string) => () => call(`${server.url}${WEBHOOK}`, 'POST', { authorization: `Bearer ${token}` }, JSON.stringify({ taskId: task, response: 'r', final: false }));

      const first = (await call(`${server.url}/api/agents/${rotatable.id}/rotate`, 'POST', admin)) as unknown as { status: number; body: AgentCredentials };
      assert.equal(first.status, 200);
      assert.notEqual(first.body.token, rotatable.token);
      for (const token of [rotatable.token, first.body.token]) assert.equal((await bearerPost(token)()).status, 200, 'old and new token work during the grace period');
      for (const secret of [rotatable.signingSecret, first.body.signingSecret]) {
        assert.equal((await signedPost(secret, { taskId: task, response: 's', final: false })()).status, 200, 'old and new secret work during the grace period');
      }

      const second = (await call(`${server.url}/api/agents/${rotatable.id}/rotate?graceSeconds=0`, 'POST', admin)) as unknown as { status: number; body: AgentCredentials };
      assert.equal(second.status, 200);
      for (const token of [rotatable.token, first.body.token]) await refused(bearerPost(token), 401, 'UNAUTHENTICATED');
      for (const secret of [rotatable.signingSecret, first.body.signingSecret]) {
        await refused(signedPost(secret, { taskId: task, response: 's' }), 401, 'SIGNATURE_INVALID');
      }
      assert.equal((await bearerPost(second.body.token)()).status, 200);
      assert.equal((await signedPost(second.body.signingSecret, { taskId: task, response: 's', final: false })()).status, 200);
    });
  });

  describe('admin API', () => {
    const endpoints = (agentId: string): Array<[string, string, string | undefined]> => [
      ['POST', '/api/agents', JSON.stringify({ name: 'intruder' })],
      ['PATCH', `/api/agents/${agentId}`, JSON.stringify({ endpointUrl: 'http://127.0.0.1:1/steal' })],
      ['POST', `/api/agents/${agentId}/rotate`, undefined],
      ['GET', '/api/admin/deliveries', undefined],
      ['POST', `/api/admin/deliveries/dlv_${'1'.repeat(13)}_${'a'.repeat(32)}/replay`, undefined],
    ];

    it('refuses every admin endpoint without, or with a wrong, ADMIN_TOKEN', async () => {
      const wrong: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer wrong-admin-token-0000' },
        { authorization: `Bearer ${server.adminToken}x` },
        { authorization: `Bearer ${server.adminToken.slice(0, -1)}` },
        { authorization: `Basic ${Buffer.from(`admin:${server.adminToken}`).toString('base64')}` },
        { authorization: `Bearer ${agent.token}` },
        { cookie: 'wc_session=whatever-but-long-enough-to-be-a-session' },
      ];
      for (const [method, path, body] of endpoints(agent.id)) {
        for (const headers of wrong) await refused(() => call(`${server.url}${path}`, method, headers, body), 401, 'UNAUTHENTICATED');
      }
    });

    it('refuses the admin API entirely when ADMIN_TOKEN is not set', async () => {
      const bare = await startServer({ env: { ADMIN_TOKEN: '' } });
      try {
        for (const [method, path, body] of endpoints('any-agent')) {
          const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${server.adminToken}` }, { authorization: 'Bearer ' }];
          for (const headers of attempts) {
            const answer = await call(`${bare.url}${path}`, method, headers, body);
            assert.deepEqual([answer.status, answer.body.error?.code], [401, 'UNAUTHENTICATED'], `${method} ${path}`);
          }
        }
      } finally {
        await bare.stop();
      }
    });
  });

  describe('test endpoint', () => {
    it('answers 404 unless enabled, even to the owning session; the admin token opens it', async () => {
      await refused(() => owner.json('POST', '/api/communications/test-response', { taskId }) as Promise<Answer>, 404, 'NOT_FOUND');
      const admin = await call(`${server.url}/api/communications/test-response`, 'POST', { authorization: `Bearer ${server.adminToken}` }, JSON.stringify({ taskId, testMessage: 'admin test' }));
      assert.equal(admin.status, 200);
    });

    it('when enabled, serves only the session that owns the task', async () => {
      const enabled = await startServer({ env: { ENABLE_TEST_ENDPOINT: '1' } });
      try {
        const a = await enabled.createAgent();
        const mine = new Session(enabled.url);
        const theirs = new Session(enabled.url);
        const id = (await mine.send(a.id, 'test me')).body.taskId;
        assert.equal((await mine.json('POST', '/api/communications/test-response', { taskId: id })).status, 200);
        const refusedAnswer = await theirs.json('POST', '/api/communications/test-response', { taskId: id });
        assert.deepEqual([refusedAnswer.status, (refusedAnswer.body as Answer['body']).error?.code], [404, 'TASK_NOT_FOUND']);
        const foreign = await mine.json('POST', '/api/communications/test-response', { taskId: id }, { origin: 'https://evil.example' });
        assert.deepEqual([foreign.status, (foreign.body as Answer['body']).error?.code], [403, 'ORIGIN_REJECTED']);
      } finally {
        await enabled.stop();
      }
    });
  });

  describe('cross-site requests (CSRF)', () => {
    it('refuses cookie-authenticated POSTs from a foreign Origin with 403, storing nothing', async () => {
      for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${server.port}.evil.example`, `https://127.0.0.1:${server.port + 1}`]) {
        await refused(() => owner.json('POST', '/api/tasks/assign-user-task', { agentId: agent.id, taskId, message: 'csrf' }, { origin }) as Promise<Answer>, 403, 'ORIGIN_REJECTED');
        await refused(() => owner.json('POST', '/api/tasks/cancel', { taskId }, { origin }) as Promise<Answer>, 403, 'ORIGIN_REJECTED');
      }
    });

    it('accepts the same origin, and clients that send no Origin', async () => {
      const same = await owner.json('POST', '/api/tasks/assign-user-task', { agentId: agent.id, taskId, message: 'same origin' }, { origin: server.url });
      assert.equal(same.status, 201);
      const none = await owner.send(agent.id, 'no origin', { taskId });
      assert.equal(none.status, 201);
    });

    it('sets the session cookie HttpOnly and SameSite=Lax', async () => {
      const response = await fetch(`${server.url}/api/agents`);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('wc_session='));
      assert.ok(cookie);
      assert.match(cookie, /;\s*HttpOnly/i);
      assert.match(cookie, /;\s*SameSite=Lax/i);
      assert.match(cookie, /;\s*Path=\//i);
    });
  });
});
