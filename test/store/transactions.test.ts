/** `transaction`: all or nothing per caller, even when many run at once (SQLite group commit). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from './dialects.js';
import { agent, task, userMessage } from './fixtures.js';

class Planned extends Error {}

/** A promise with its resolve function (Promise.withResolvers needs Node 22). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

for (const dialect of DIALECTS) {
  describe(`transactions (${dialect.name})`, { skip: dialect.skip }, () => {
    before(() => dialect.setup());
    after(() => dialect.teardown());

    test('resolves with the value of fn after committing; reads outside see only committed data', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      const value = await store.transaction(async (tx) => {
        await tx.insertTask(task('t1', 'ag1'));
        assert.equal((await tx.getTaskForUpdate('t1'))?.id, 't1', 'the transaction sees its own write');
        assert.equal(await store.getTask('t1'), null, 'others do not, before the commit');
        return 42;
      });
      assert.equal(value, 42);
      assert.equal((await store.getTask('t1'))?.id, 't1');
    });

    test('the first statement (the task lock, sent with BEGIN on PostgreSQL) takes any ID as a value', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      const odd = `t'1\\'; DROP TABLE tasks; --`;
      await store.transaction(async (tx) => tx.insertTask(task(odd, 'ag1')));
      const found = await store.transaction(async (tx) => {
        const locked = await tx.getTaskForUpdate(odd);
        await tx.updateTask(odd, { state: 'working', updatedAt: 3000 });
        return locked;
      });
      assert.equal(found?.id, odd);
      assert.equal(await store.transaction(async (tx) => tx.getTaskForUpdate("x' OR '1'='1")), null);
      assert.equal((await store.getTask(odd))?.state, 'working', 'the transaction committed');
      // A transaction that runs no statement commits nothing and still resolves.
      assert.equal(await store.transaction(async () => 'nothing'), 'nothing');
    });

    test('a throw rolls back everything the transaction wrote and rejects with that error', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      await store.transaction(async (tx) => tx.insertTask(task('t1', 'ag1')));
      const error = new Planned('no');
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertTask(task('t2', 'ag1'));
          await tx.insertCommunication(userMessage('t1', 1, 'ag1'));
          await tx.updateTask('t1', { lastSeq: 1, state: 'working', updatedAt: 2000 });
          throw error;
        }),
        (e) => e === error,
      );
      assert.equal(await store.getTask('t2'), null);
      assert.deepEqual(await store.getTask('t1'), task('t1', 'ag1'));
      assert.deepEqual(await store.listCommunications('t1', 0, 10), []);
    });

    test('a failed statement swallowed inside fn: never reported as a commit that did not happen', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      await store.transaction(async (tx) => tx.insertTask(task('t1', 'ag1')));
      const outcome = store.transaction(async (tx) => {
        await tx.insertCommunication(userMessage('t1', 1, 'ag1'));
        await tx.insertTask(task('t1', 'ag1')).catch(() => undefined); // duplicate key, swallowed
        return 'done';
      });
      if (dialect.name === 'postgres') {
        // PostgreSQL aborts the whole transaction on the failed statement; COMMIT then rolls back,
        // and the store must report that instead of a success.
        await assert.rejects(outcome, /rolled back/);
        assert.deepEqual(await store.listCommunications('t1', 0, 10), []);
      } else {
        // SQLite undoes only the failed statement; the rest commits.
        assert.equal(await outcome, 'done');
        assert.equal((await store.listCommunications('t1', 0, 10)).length, 1);
      }
    });

    test('50 concurrent transactions where every fifth throws: exactly the others commit', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.insertTask(task(`t${i}`, 'ag1'));
            await tx.insertCommunication(userMessage(`t${i}`, 1, 'ag1'));
            await tx.updateTask(`t${i}`, { lastSeq: 1, updatedAt: 2000 });
            if (i % 5 === 0) throw new Planned(`planned ${i}`);
            return i;
          }),
        ),
      );
      for (const [i, result] of results.entries()) {
        const saved = await store.getTask(`t${i}`);
        const messages = await store.listCommunications(`t${i}`, 0, 10);
        if (i % 5 === 0) {
          assert.equal(result.status, 'rejected');
          assert.ok(result.status === 'rejected' && result.reason instanceof Planned);
          assert.equal(saved, null, `t${i} rolled back`);
          assert.equal(messages.length, 0);
        } else {
          assert.deepEqual(result, { status: 'fulfilled', value: i });
          assert.equal(saved?.lastSeq, 1, `t${i} committed`);
          assert.equal(messages.length, 1);
        }
      }
    });

    test('concurrent read-modify-write of one task through getTaskForUpdate loses no update', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      await store.transaction(async (tx) => tx.insertTask(task('t1', 'ag1')));
      const n = 30;
      const versions = await Promise.all(
        Array.from({ length: n }, () =>
          store.transaction(async (tx) => {
            const current = await tx.getTaskForUpdate('t1');
            assert.ok(current);
            const seq = current.lastSeq + 1;
            await tx.insertCommunication(userMessage('t1', seq, 'ag1'));
            return tx.updateTask('t1', { lastSeq: seq, updatedAt: 1000 + seq });
          }),
        ),
      );
      assert.deepEqual(
        [...versions].sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i + 1),
      );
      const saved = await store.getTask('t1');
      assert.equal(saved?.lastSeq, n);
      assert.equal(saved?.version, n);
      assert.deepEqual(
        (await store.listCommunications('t1', 0, 100)).map((c) => c.seq),
        Array.from({ length: n }, (_, i) => i + 1),
      );
    });

    if (dialect.name === 'postgres') {
      test('two transactions that deadlock both commit: the victim is run again', async (t) => {
        const { store } = await dialect.fresh(t);
        await store.insertAgent(agent('ag1'));
        await store.transaction(async (tx) => {
          await tx.insertTask(task('a', 'ag1'));
          await tx.insertTask(task('b', 'ag1'));
        });
        let attempts = 0;
        const locked = { a: signal(), b: signal() };
        // Each locks its first task, waits until the other holds its own, then reaches for it.
        const lockBoth = (first: 'a' | 'b', second: 'a' | 'b') =>
          store.transaction(async (tx) => {
            attempts++;
            await tx.getTaskForUpdate(first);
            locked[first].resolve();
            await locked[second].promise;
            await tx.getTaskForUpdate(second);
            await tx.updateTask(first, { updatedAt: 2000 });
            await tx.updateTask(second, { updatedAt: 2000 });
          });
        await Promise.all([lockBoth('a', 'b'), lockBoth('b', 'a')]);
        // At least one victim, run again. The rerun may start before the survivor holds both rows
        // and deadlock once more; what matters is that both commit exactly once.
        assert.ok(attempts >= 3, `a deadlock victim was run again (${attempts} attempts)`);
        assert.equal((await store.getTask('a'))?.version, 2);
        assert.equal((await store.getTask('b'))?.version, 2);
      });
    }
  });
}
