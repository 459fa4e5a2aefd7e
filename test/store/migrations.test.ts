/** Schema creation and durability, on every dialect. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { MIGRATION_LOCK_KEY } from '../../src/store/postgres/migrations.js';
import { eventually } from '../support/client.js';
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

    // Only PostgreSQL migrates under an advisory lock, so this case exists only there.
    if (dialect.name === 'postgres') test(
      'a start that waits behind the migration lock for longer than the query timeout still migrates',
      async (t) => {
        const server = dialect.server();
        assert.ok(server);
        const { store } = await dialect.fresh(t, { migrate: false });
        // Another instance in the middle of a long migration: it holds the lock (advisory locks are
        // per database, so the fresh schema's migration queues behind it).
        const other = new pg.Client({ connectionString: server.url });
        await other.connect();
        t.after(() => other.end());
        await other.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);

        const migrating = store.migrate();
        const finishedEarly = migrating.then(() => {
          throw new Error('migrate() finished while the lock was still held');
        });
        // The store pool's queries time out after 5 s. Wait until PostgreSQL shows the migration
        // blocked on the lock for longer than that; a migration that gave up rejects the race.
        const blockedPastTimeout = eventually(async () => {
          const { rows } = await other.query<{ n: number }>(
            `SELECT COUNT(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND NOT l.granted AND l.classid::bigint * 4294967296 + l.objid::bigint = $1
               AND a.query_start < now() - interval '7 seconds'`,
            [MIGRATION_LOCK_KEY],
          );
          assert.equal(rows[0]?.n, 1, 'the migration is waiting for the lock');
        }, 30_000, 200);
        await Promise.race([finishedEarly, blockedPastTimeout]);

        await other.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
        await migrating;
        await store.insertAgent(agent('ag1'));
        assert.equal((await store.getAgent('ag1'))?.id, 'ag1');
        // The migration's own connection is closed again: only the pool and ours remain.
        const { rows } = await other.query<{ n: number }>(
          "SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = 'webhook-chat-migrate'",
        );
        assert.equal(rows[0]?.n, 0);
      },
    );

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
