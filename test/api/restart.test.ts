// A restart on the same SQLite file loses nothing: tasks, answers, sessions and queued deliveries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Session } from '../support/client.js';
import { startServer } from '../support/server.js';

describe('restart on the same database file', () => {
  it('keeps every acknowledged message and keeps the session valid', async () => {
    const server = await startServer({ process: true });
    try {
      const agent = await server.createAgent();
      const page = new Session(server.url);
      const { taskId } = (await page.send(agent.id, 'remember me')).body;
      for (let i = 0; i < 10; i++) assert.equal((await server.webhook({ taskId, response: `answer ${i}`, final: false }, agent.token)).status, 200);
      const before = await page.responses(taskId);

      await server.restart();
      const after = await page.responses(taskId);
      assert.equal(after.status, 200);
      assert.deepEqual(after.body.responses, before.body.responses);
      assert.equal(after.body.task.turns.length, 1);
      // The agent's credentials still work, and sequence numbers carry on.
      const more = await server.webhook({ taskId, response: 'after restart' }, agent.token);
      assert.equal(more.status, 200);
      const last = await page.responses(taskId, `&after=${after.body.cursor}`);
      assert.deepEqual(last.body.responses.map((r) => r.response), ['after restart']);
      assert.ok((last.body.responses[0]?.seq ?? 0) > after.body.cursor, 'sequence numbers carry on after the restart');
    } finally {
      await server.stop();
    }
  });
});
