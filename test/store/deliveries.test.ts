/** The outbox: deliveries, leases and the queries the worker and the admin pages use. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeliveryRecord } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { UniqueViolationError } from '../../src/store/store-errors.js';
import { DIALECTS } from './dialects.js';
import { agent, agentMessage, delivery, task, userMessage } from './fixtures.js';

async function seed(store: Store, rows: DeliveryRecord[]): Promise<void> {
  await store.insertAgent(agent('ag1'));
  await store.insertAgent(agent('ag2'));
  await store.transaction(async (tx) => {
    await tx.insertTask(task('t1', 'ag1'));
    for (const row of rows) await tx.insertDelivery(row);
  });
}

const claim = (store: Store, now: number, owner: string, extra: { limit?: number; mode?: 'push' | 'pull'; agentId?: string } = {}) =>
  store.claimDeliveries({ mode: extra.mode ?? 'push', now, limit: extra.limit ?? 100, owner, leaseUntil: now + 1000, ...(extra.agentId ? { agentId: extra.agentId } : {}) });

const ids = (rows: DeliveryRecord[]) => rows.map((r) => r.id);

for (const dialect of DIALECTS) {
  describe(`deliveries (${dialect.name})`, { skip: dialect.skip }, () => {
    before(() => dialect.setup());
    after(() => dialect.teardown());

    test('insertDelivery, getDelivery (in and out of a transaction) and updateDelivery', async (t) => {
      const { store } = await dialect.fresh(t);
      const row = delivery('d1', { lastError: 'x', lastStatus: 500, leaseOwner: 'w', leaseUntil: 5 });
      await seed(store, [row]);
      assert.deepEqual(await store.getDelivery('d1'), row);
      assert.equal(await store.getDelivery('nope'), null);
      await store.transaction(async (tx) => {
        assert.deepEqual(await tx.getDelivery('d1'), row);
        await tx.updateDelivery('d1', { state: 'delivered', attempts: 1, deliveredAt: 3000, lastError: null, updatedAt: 3000 });
      });
      assert.deepEqual(await store.getDelivery('d1'), {
        ...row,
        state: 'delivered',
        attempts: 1,
        deliveredAt: 3000,
        lastError: null,
        updatedAt: 3000,
      });
    });

    test('claim takes only due, pending, unleased deliveries of the mode, oldest due first', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store, [
        delivery('late', { nextAttemptAt: 1500 }),
        delivery('early', { nextAttemptAt: 900 }),
        delivery('future', { nextAttemptAt: 5000 }),
        delivery('done', { state: 'delivered' }),
        delivery('failed', { state: 'failed' }),
        delivery('pull', { mode: 'pull' }),
        delivery('leased', { leaseOwner: 'other', leaseUntil: 3000 }),
        delivery('expired', { leaseOwner: 'other', leaseUntil: 1800, nextAttemptAt: 1000, createdAt: 1001 }),
      ]);
      const claimed = await claim(store, 2000, 'w1');
      assert.deepEqual(ids(claimed), ['early', 'expired', 'late']);
      for (const row of claimed) {
        assert.equal(row.leaseOwner, 'w1');
        assert.equal(row.leaseUntil, 3000);
      }
      assert.equal((await store.getDelivery('late'))?.leaseOwner, 'w1', 'the lease is stored');
    });

    test('a lease holds until leaseUntil, then the delivery can be claimed again', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store, [delivery('d1')]);
      assert.deepEqual(ids(await claim(store, 1000, 'w1')), ['d1']); // leased until 2000
      assert.deepEqual(ids(await claim(store, 1999, 'w2')), []);
      assert.deepEqual(ids(await claim(store, 2000, 'w2')), ['d1']);
      assert.equal((await store.getDelivery('d1'))?.leaseOwner, 'w2');
    });

    test('claim honours limit and, for pull mode, the agent', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store, [
        delivery('p1', { mode: 'pull', agentId: 'ag1', nextAttemptAt: 1 }),
        delivery('p2', { mode: 'pull', agentId: 'ag2', nextAttemptAt: 2 }),
        delivery('p3', { mode: 'pull', agentId: 'ag1', nextAttemptAt: 3 }),
      ]);
      assert.deepEqual(ids(await claim(store, 2000, 'w', { mode: 'pull', agentId: 'ag1', limit: 1 })), ['p1']);
      assert.deepEqual(ids(await claim(store, 2000, 'w', { mode: 'pull', agentId: 'ag1' })), ['p3']);
      assert.deepEqual(ids(await claim(store, 2000, 'w', { mode: 'pull' })), ['p2']);
    });

    test('concurrent claimers on one store never get the same delivery', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store, Array.from({ length: 40 }, (_, i) => delivery(`d${i}`, { nextAttemptAt: i })));
      const batches = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => claim(store, 2000, owner, { limit: 15 })));
      const all = batches.flatMap(ids);
      assert.equal(new Set(all).size, all.length, 'no delivery claimed twice');
      assert.equal(all.length, 40);
    });

    test('nextDeliveryDueAt: the earliest next attempt or lease end of a pending delivery', async (t) => {
      const { store } = await dialect.fresh(t);
      assert.equal(await store.nextDeliveryDueAt('push'), null, 'empty outbox');
      await seed(store, [
        delivery('a', { nextAttemptAt: 1500, leaseOwner: 'w', leaseUntil: 4000 }),
        delivery('b', { nextAttemptAt: 2500 }),
        delivery('c', { nextAttemptAt: 100, state: 'delivered' }),
        delivery('p', { mode: 'pull', agentId: 'ag2', nextAttemptAt: 700 }),
      ]);
      assert.equal(await store.nextDeliveryDueAt('push'), 2500);
      assert.equal(await store.nextDeliveryDueAt('pull'), 700);
      assert.equal(await store.nextDeliveryDueAt('pull', 'ag2'), 700);
      assert.equal(await store.nextDeliveryDueAt('pull', 'ag1'), null);
    });

    test('releaseLeases gives back the pending deliveries one owner holds, and only those', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store, [
        delivery('mine', { leaseOwner: 'w1', leaseUntil: 9000 }),
        delivery('theirs', { leaseOwner: 'w2', leaseUntil: 9000 }),
        delivery('finished', { leaseOwner: 'w1', leaseUntil: 9000, state: 'delivered' }),
      ]);
      await store.releaseLeases('w1');
      const mine = await store.getDelivery('mine');
      assert.equal(mine?.leaseOwner, null);
      assert.equal(mine?.leaseUntil, null);
      assert.equal((await store.getDelivery('theirs'))?.leaseOwner, 'w2');
      assert.equal((await store.getDelivery('finished'))?.leaseOwner, 'w1');
      assert.deepEqual(ids(await claim(store, 2000, 'w3')), ['mine']);
    });

    test('listDeliveries filters by state, agent and task, newest first, limited', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store, [
        delivery('d1', { createdAt: 1 }),
        delivery('d2', { createdAt: 2, state: 'failed', agentId: 'ag2' }),
        delivery('d3', { createdAt: 3, taskId: 't2' }),
        delivery('d4', { createdAt: 3, state: 'delivered' }),
      ]);
      assert.deepEqual(ids(await store.listDeliveries({ limit: 10 })), ['d4', 'd3', 'd2', 'd1']);
      assert.deepEqual(ids(await store.listDeliveries({ limit: 2 })), ['d4', 'd3']);
      assert.deepEqual(ids(await store.listDeliveries({ limit: 10, state: 'pending' })), ['d3', 'd1']);
      assert.deepEqual(ids(await store.listDeliveries({ limit: 10, agentId: 'ag2' })), ['d2']);
      assert.deepEqual(ids(await store.listDeliveries({ limit: 10, taskId: 't1', state: 'pending' })), ['d1']);
    });

    test('countPendingDeliveries counts the backlog', async (t) => {
      const { store } = await dialect.fresh(t);
      assert.equal(await store.countPendingDeliveries(), 0);
      await seed(store, [delivery('a'), delivery('b', { leaseOwner: 'w', leaseUntil: 9 }), delivery('c', { state: 'canceled' })]);
      assert.equal(await store.countPendingDeliveries(), 2);
    });

    test('listDeliveriesForMessages and listPendingDeliveriesForMessage', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store, [
        delivery('m1-first', { messageId: 'u1', state: 'failed', createdAt: 1 }),
        delivery('m1-cancel', { messageId: 'u1', eventType: 'task.canceled', createdAt: 2 }),
        delivery('m1-retry', { messageId: 'u1', createdAt: 3 }),
        delivery('m2', { messageId: 'u2', createdAt: 2 }),
        delivery('m3', { messageId: 'u3', createdAt: 2 }),
        delivery('other-task', { messageId: 'u1', taskId: 't9', createdAt: 2 }),
      ]);
      assert.deepEqual(ids(await store.listDeliveriesForMessages('t1', ['u1', 'u2'])), ['m1-first', 'm2', 'm1-retry']);
      assert.deepEqual(await store.listDeliveriesForMessages('t1', []), []);
      await store.transaction(async (tx) => {
        assert.deepEqual(ids(await tx.listPendingDeliveriesForMessage('t1', 'u1')), ['m1-cancel', 'm1-retry']);
        assert.deepEqual(await tx.listPendingDeliveriesForMessage('t1', 'nope'), []);
      });
    });

    test('a user message is stored only with its delivery: if inserting the delivery fails, neither is kept', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store, [delivery('taken')]);
      await store.transaction(async (tx) => tx.insertTask(task('t2', 'ag1')));
      const assign = (taskId: string, deliveryId: string) =>
        store.transaction(async (tx) => {
          const current = await tx.getTaskForUpdate(taskId);
          const seq = (current?.lastSeq ?? 0) + 1;
          await tx.insertCommunication(userMessage(taskId, seq, 'ag1'));
          await tx.updateTask(taskId, { lastSeq: seq, state: 'queued', updatedAt: 2000 });
          await tx.insertDelivery(delivery(deliveryId, { taskId, messageId: `u${seq}` }));
        });
      const before = await store.getTask('t1');
      // The failing one and a good one run at once: SQLite commits them in one group.
      const [failed, kept] = await Promise.allSettled([assign('t1', 'taken'), assign('t2', 'fresh')]);
      assert.equal(failed.status, 'rejected');
      assert.ok(failed.status === 'rejected' && failed.reason instanceof UniqueViolationError, 'the duplicate delivery ID is refused');
      assert.equal(kept.status, 'fulfilled', 'a transaction committed alongside is unaffected');

      assert.deepEqual(await store.listCommunications('t1', 0, 10), [], 'the message was not stored without its delivery');
      assert.deepEqual(await store.getTask('t1'), before, 'nor did the task change');
      assert.deepEqual(ids(await store.listDeliveries({ limit: 10, taskId: 't1' })), ['taken'], 'the existing delivery is untouched');
      assert.deepEqual((await store.listCommunications('t2', 0, 10)).map((c) => c.messageId), ['u1']);
      assert.deepEqual(ids(await store.listDeliveries({ limit: 10, taskId: 't2' })), ['fresh']);
    });

    test('listTasks for operators: newest first, with turn counts, filtered, a keyset page at a time', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      await store.insertAgent(agent('ag2'));
      await store.transaction(async (tx) => {
        // IDs sort by creation time, like the ones the relay makes.
        await tx.insertTask(task('task_1', 'ag1', { state: 'answered', lastSeq: 3, updatedAt: 5000 }));
        await tx.insertCommunication(userMessage('task_1', 1, 'ag1'));
        await tx.insertCommunication(userMessage('task_1', 2, 'ag1'));
        await tx.insertCommunication(agentMessage('task_1', 3, 'ag1'));
        await tx.insertTask(task('task_2', 'ag2'));
        await tx.insertTask(task('task_3', 'ag1', { state: 'failed', lastSeq: 1 }));
        await tx.insertCommunication(userMessage('task_3', 1, 'ag1'));
      });
      const all = await store.listTasks({ limit: 10 });
      assert.deepEqual(all.map((r) => [r.id, r.turnCount]), [['task_3', 1], ['task_2', 0], ['task_1', 2]]);
      assert.deepEqual(all[2], { ...task('task_1', 'ag1', { state: 'answered', lastSeq: 3, updatedAt: 5000 }), turnCount: 2 });
      assert.deepEqual((await store.listTasks({ limit: 2 })).map((r) => r.id), ['task_3', 'task_2']);
      assert.deepEqual((await store.listTasks({ limit: 2, before: 'task_2' })).map((r) => r.id), ['task_1']);
      assert.deepEqual((await store.listTasks({ limit: 10, agentId: 'ag1' })).map((r) => r.id), ['task_3', 'task_1']);
      assert.deepEqual((await store.listTasks({ limit: 10, agentId: 'ag1', state: 'failed' })).map((r) => r.id), ['task_3']);
      assert.deepEqual(await store.listTasks({ limit: 10, state: 'working' }), []);
    });

    if (dialect.name === 'postgres') {
      test('claimers on two separate PostgresStore instances never get the same delivery', async (t) => {
        const { store, open } = await dialect.fresh(t);
        const other = open();
        await seed(store, Array.from({ length: 200 }, (_, i) => delivery(`d${String(i).padStart(3, '0')}`, { nextAttemptAt: i % 7 })));
        const claimed: string[] = [];
        // Eight workers over two instances drain the outbox in small batches, all at once.
        await Promise.all(
          Array.from({ length: 8 }, async (_, w) => {
            const s = w % 2 === 0 ? store : other;
            for (;;) {
              const batch = await claim(s, 2000, `w${w}`, { limit: 3 });
              if (batch.length === 0) return;
              claimed.push(...ids(batch));
            }
          }),
        );
        assert.equal(new Set(claimed).size, claimed.length, 'no delivery claimed twice');
        assert.equal(claimed.length, 200);
      });
    }
  });
}
