/** Schema creation and durability, on every dialect. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from './dialects.js';
import { agent, task, userMessage } from './fixtures.js';

for (const dialect of DIALECTS) {
  describe(`migrations and durability (${dialect.name})`, { skip: dialect.skip }, () => {
    before(() => dialect.setup());
    after(() => dialect.teardown());

    test('migrate is idempotent: running it again changes nothing and keeps the data', async (t) => {
      const { store, open } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      await store.migrate();
      const second = open();
      await second.migrate();
      assert.equal((await second.getAgent('ag1'))?.name, 'Agent ag1');
      assert.equal((await store.listAgents()).length, 1);
    });

    test('several stores migrating one empty database at once all succeed', async (t) => {
      const { store, open } = await dialect.fresh(t, { migrate: false });
      const others = [open(), open(), open()];
      await Promise.all([store.migrate(), ...others.map((s) => s.migrate())]);
      await store.insertAgent(agent('ag1'));
      for (const s of others) assert.equal((await s.getAgent('ag1'))?.id, 'ag1');
    });

    test('ping answers on a live store', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.ping();
    });

    test('committed data survives close and reopen', async (t) => {
      const { store, open } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      await store.transaction(async (tx) => {
        await tx.insertTask(task('t1', 'ag1'));
        await tx.insertCommunication(userMessage('t1', 1, 'ag1', { response: 'héllo ✓' }));
        await tx.updateTask('t1', { lastSeq: 1, updatedAt: 2000 });
      });
      await store.close();
      await store.close(); // closing twice is harmless

      const reopened = open();
      await reopened.migrate();
      assert.equal((await reopened.getTask('t1'))?.lastSeq, 1);
      const [message] = await reopened.listCommunications('t1', 0, 10);
      assert.equal(message?.response, 'héllo ✓');
    });

    test('a closed store refuses new transactions', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.close();
      await assert.rejects(store.transaction(async () => 1));
    });
  });
}
