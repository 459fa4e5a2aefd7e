// Registering agents: one ID is one agent, even when several registrations race for it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

interface Reply {
  status: number;
  body: Partial<AgentCredentials> & { error?: { code: string; message: string } };
}

describe('agent registration', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  async function register(body: Record<string, unknown>): Promise<Reply> {
    const response = await fetch(`${server.url}/api/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Reply['body'] };
  }

  for (const n of [3, 10]) {
    it(`answers one 201 and ${n - 1} × 409 AGENT_EXISTS to ${n} concurrent registrations of one id`, async () => {
      const id = `racer-${n}`;
      // Open the connections first, so the registrations reach the server together.
      await Promise.all(Array.from({ length: n }, async () => (await fetch(`${server.url}/api/agents`)).arrayBuffer()));
      const replies = await Promise.all(Array.from({ length: n }, (_, i) => register({ id, name: `Racer ${i}` })));
      assert.deepEqual(replies.map((r) => r.status).sort(), [201, ...Array<number>(n - 1).fill(409)]);
      for (const r of replies.filter((x) => x.status === 409)) {
        assert.equal(r.body.error?.code, 'AGENT_EXISTS');
        assert.match(r.body.error?.message ?? '', new RegExp(id));
      }
      const listed = (await new Session(server.url).json<{ agents: Array<{ id: string; name: string }> }>('GET', '/api/agents')).body.agents;
      const winner = replies.find((r) => r.status === 201)!.body;
      assert.deepEqual(listed.filter((a) => a.id === id), [{ id, name: winner.name, description: null, mode: 'pull' }]);

      // The winner's credentials are the ones stored: a losing insert overwrote nothing.
      const sent = await new Session(server.url).send(id, 'who answers?');
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const taskId = sent.body.taskId;
      const answer = await server.webhook({ taskId, response: 'me' }, winner.token!);
      assert.equal(answer.status, 200, await answer.text());
    });
  }

  it('answers 409 AGENT_EXISTS to a later registration of an existing id', async () => {
    assert.equal((await register({ id: 'taken', name: 'First' })).status, 201);
    const again = await register({ id: 'taken', name: 'Second' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error?.code, 'AGENT_EXISTS');
  });
});
