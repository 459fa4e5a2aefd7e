/** Tasks and communications: the StoreTx primitives and the committed-data reads. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { UniqueViolationError } from '../../src/store/store-errors.js';
import { DIALECTS } from './dialects.js';
import { agent, agentMessage, task, userMessage } from './fixtures.js';

/** Agent ag1 with task t1 holding u1, a2 (answer to u1), u3 (pending), a4 (partial answer to u3). */
async function seed(store: Store): Promise<void> {
  await store.insertAgent(agent('ag1'));
  await store.transaction(async (tx) => {
    await tx.insertTask(task('t1', 'ag1'));
    await tx.insertCommunication(userMessage('t1', 1, 'ag1', { turnState: 'answered' }));
    await tx.insertCommunication(agentMessage('t1', 2, 'ag1', { inReplyTo: 'u1', webhookId: 'wh-2' }));
    await tx.insertCommunication(userMessage('t1', 3, 'ag1', { turnState: 'working' }));
    await tx.insertCommunication(agentMessage('t1', 4, 'ag1', { inReplyTo: 'u3', final: false }));
    await tx.updateTask('t1', { lastSeq: 4, state: 'working', updatedAt: 1004 });
  });
}

for (const dialect of DIALECTS) {
  describe(`tasks and communications (${dialect.name})`, { skip: dialect.skip }, () => {
    before(() => dialect.setup());
    after(() => dialect.teardown());

    test('insertTask then getTask / getTaskForUpdate return it exactly', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      const record = task('t1', 'ag1', { status: 'thinking', statusText: 'Reading…', statusExpiresAt: 9000 });
      await store.transaction(async (tx) => {
        await tx.insertTask(record);
        assert.deepEqual(await tx.getTaskForUpdate('t1'), record);
        assert.equal(await tx.getTaskForUpdate('missing'), null);
      });
      assert.deepEqual(await store.getTask('t1'), record);
      assert.equal(await store.getTask('missing'), null);
    });

    test('updateTask applies the patch, bumps version by one and returns it', async (t) => {
      const { store } = await dialect.fresh(t);
      await store.insertAgent(agent('ag1'));
      await store.transaction(async (tx) => tx.insertTask(task('t1', 'ag1', { version: 7 })));
      const v1 = await store.transaction((tx) => tx.updateTask('t1', { state: 'answered', status: 'x', updatedAt: 2000 }));
      const v2 = await store.transaction((tx) => tx.updateTask('t1', { status: null, updatedAt: 3000 }));
      assert.deepEqual([v1, v2], [8, 9]);
      assert.deepEqual(await store.getTask('t1'), task('t1', 'ag1', { version: 9, state: 'answered', updatedAt: 3000 }));
      assert.equal(await store.transaction((tx) => tx.updateTask('missing', { updatedAt: 1 })), 0);
    });

    test('communications round-trip, including final=false and null fields', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      const rows = await store.listCommunications('t1', 0, 10);
      assert.deepEqual(rows, [
        userMessage('t1', 1, 'ag1', { turnState: 'answered' }),
        agentMessage('t1', 2, 'ag1', { inReplyTo: 'u1', webhookId: 'wh-2' }),
        userMessage('t1', 3, 'ag1', { turnState: 'working' }),
        agentMessage('t1', 4, 'ag1', { inReplyTo: 'u3', final: false }),
      ]);
    });

    test('getCommunication, getCommunicationByWebhookId and findUserMessageInSession', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      await store.transaction(async (tx) => {
        assert.equal((await tx.getCommunication('t1', 'a2'))?.seq, 2);
        assert.equal(await tx.getCommunication('t1', 'zz'), null);
        assert.equal((await tx.getCommunicationByWebhookId('ag1', 'wh-2'))?.messageId, 'a2');
        assert.equal(await tx.getCommunicationByWebhookId('other-agent', 'wh-2'), null);
        assert.equal((await tx.findUserMessageInSession('session-1', 'u3'))?.seq, 3);
        assert.equal(await tx.findUserMessageInSession('session-2', 'u3'), null, 'other sessions do not match');
        assert.equal(await tx.findUserMessageInSession('session-1', 'a2'), null, 'agent messages do not match');
      });
    });

    test('readForAnswer reads both repeat keys and the turns at once; getAgentOfTask finds the task\'s agent', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      assert.equal((await store.getAgentOfTask('t1'))?.id, 'ag1');
      assert.equal(await store.getAgentOfTask('missing'), null);
      await store.transaction(async (tx) => {
        const both = await tx.readForAnswer('t1', 'a2', 'ag1', 'wh-2');
        assert.equal(both.byMessageId?.seq, 2);
        assert.equal(both.byWebhookId?.messageId, 'a2');
        assert.deepEqual([both.latest?.messageId, both.pending?.messageId], ['u3', 'u3']);
        const byId = await tx.readForAnswer('t1', 'u3', 'ag1', null);
        assert.equal(byId.byMessageId?.direction, 'user');
        assert.equal(byId.byWebhookId, null, 'no webhook-id: nothing matched by it');
        const byWebhook = await tx.readForAnswer('t1', 'new-id', 'ag1', 'wh-2');
        assert.deepEqual([byWebhook.byMessageId, byWebhook.byWebhookId?.messageId], [null, 'a2']);
        const none = await tx.readForAnswer('t1', 'new-id', 'other-agent', 'wh-2');
        assert.deepEqual([none.byMessageId, none.byWebhookId], [null, null]);
        await tx.setTurnState('t1', 'u3', 'answered', 5000);
        await tx.setTurnState('t1', 'u1', 'delivered', 5001);
        const turns = await tx.readForAnswer('t1', 'new-id', 'ag1', null);
        assert.deepEqual([turns.latest?.messageId, turns.pending?.messageId], ['u3', 'u1'], 'as latestTurns reads them');
        assert.deepEqual(await tx.readForAnswer('missing', 'x', 'ag1', 'wh-none'), { byMessageId: null, byWebhookId: null, latest: null, pending: null });
      });
    });

    test('lockTaskForAnswer locks the task and reads what readForAnswer reads, any value being only a value', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      await store.transaction(async (tx) => {
        const { task: locked, context } = await tx.lockTaskForAnswer('t1', 'a2', 'ag1', 'wh-2');
        assert.equal(locked?.id, 't1');
        assert.deepEqual(context, await tx.readForAnswer('t1', 'a2', 'ag1', 'wh-2'));
        assert.deepEqual([context.byMessageId?.seq, context.byWebhookId?.seq, context.latest?.messageId], [2, 2, 'u3']);
      });
      // As the first statement of a transaction (sent with BEGIN on PostgreSQL), and later in one.
      for (const first of [true, false]) {
        const odd = await store.transaction(async (tx) => {
          if (!first) await tx.getTaskForUpdate('t1');
          return tx.lockTaskForAnswer("t1' OR '1'='1", "$2'; DROP TABLE tasks; --", 'ag1\\', "it's $1");
        });
        assert.deepEqual(odd, { task: null, context: { byMessageId: null, byWebhookId: null, latest: null, pending: null } });
      }
      assert.equal((await store.getTask('t1'))?.id, 't1');
    });

    test('appendMessage inserts the message, settles its turn and patches the task, all or nothing', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      const before = (await store.getTask('t1'))!;
      const version = await store.transaction((tx) =>
        tx.appendMessage(agentMessage('t1', 5, 'ag1', { inReplyTo: 'u3', webhookId: 'wh-5' }), { lastSeq: 5, state: 'answered', updatedAt: 6000 }, { messageId: 'u3', state: 'answered', at: 6000 }),
      );
      assert.equal(version, before.version + 1);
      const after = (await store.getTask('t1'))!;
      assert.deepEqual([after.lastSeq, after.state, after.updatedAt, after.version], [5, 'answered', 6000, version]);
      const rows = await store.listCommunications('t1', 0, 10);
      assert.deepEqual(rows.at(-1), agentMessage('t1', 5, 'ag1', { inReplyTo: 'u3', webhookId: 'wh-5' }));
      const turn = rows.find((r) => r.messageId === 'u3');
      assert.deepEqual([turn?.turnState, turn?.turnUpdatedAt], ['answered', 6000]);

      // Without a turn; and a repeated seq fails as a whole, leaving the task as it was.
      await store.transaction((tx) => tx.appendMessage(agentMessage('t1', 6, 'ag1'), { lastSeq: 6, updatedAt: 7000 }));
      assert.equal((await store.getTask('t1'))?.lastSeq, 6);
      await assert.rejects(store.transaction((tx) => tx.appendMessage(agentMessage('t1', 6, 'ag1', { messageId: 'other' }), { lastSeq: 7, updatedAt: 8000 })));
      const unchanged = (await store.getTask('t1'))!;
      assert.deepEqual([unchanged.lastSeq, unchanged.updatedAt], [6, 7000]);
      assert.equal((await store.listCommunications('t1', 0, 10)).length, 6);
    });

    test('latestTurns gives the newest turn and the newest pending one, as latestTurn and latestPendingTurn do', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      await store.transaction(async (tx) => {
        const ids = async () => {
          const { latest, pending } = await tx.latestTurns('t1');
          assert.deepEqual(latest, await tx.latestTurn('t1'));
          assert.deepEqual(pending, await tx.latestPendingTurn('t1'));
          return [latest?.messageId ?? null, pending?.messageId ?? null];
        };
        assert.deepEqual(await ids(), ['u3', 'u3']);
        await tx.setTurnState('t1', 'u3', 'answered', 5000);
        assert.deepEqual(await ids(), ['u3', null]);
        await tx.setTurnState('t1', 'u1', 'delivered', 5001);
        assert.deepEqual(await ids(), ['u3', 'u1'], 'an older turn can still be pending');
        assert.deepEqual(await tx.latestTurns('missing'), { latest: null, pending: null });
      });
    });

    test('latestPendingTurn, latestTurn and setTurnState follow the turn through its life', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      await store.transaction(async (tx) => {
        assert.equal((await tx.latestPendingTurn('t1'))?.messageId, 'u3');
        assert.equal((await tx.latestTurn('t1'))?.messageId, 'u3');
        await tx.setTurnState('t1', 'u3', 'answered', 5000);
        assert.equal(await tx.latestPendingTurn('t1'), null);
        const latest = await tx.latestTurn('t1');
        assert.equal(latest?.turnState, 'answered');
        assert.equal(latest?.turnUpdatedAt, 5000);
        await tx.setTurnState('t1', 'u1', 'queued', 5001);
        assert.equal((await tx.latestPendingTurn('t1'))?.messageId, 'u1', 'an older turn can still be pending');
        assert.equal(await tx.latestTurn('missing'), null);
      });
    });

    test('listStaleTurns: pending user messages created before the cutoff, oldest first, limited', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      await store.transaction(async (tx) => {
        await tx.insertTask(task('t2', 'ag1'));
        await tx.insertCommunication(userMessage('t2', 1, 'ag1', { createdAt: 900, turnState: 'queued' }));
        await tx.insertCommunication(userMessage('t2', 2, 'ag1', { createdAt: 950, turnState: 'delivered' }));
        await tx.insertCommunication(userMessage('t2', 3, 'ag1', { createdAt: 960, turnState: 'failed' }));
      });
      await store.transaction(async (tx) => {
        const ids = async (before: number, limit: number) =>
          (await tx.listStaleTurns(before, limit)).map((c) => `${c.taskId}/${c.messageId}`);
        assert.deepEqual(await ids(10_000, 10), ['t2/u1', 't2/u2', 't1/u3']);
        assert.deepEqual(await ids(10_000, 2), ['t2/u1', 't2/u2']);
        assert.deepEqual(await ids(950, 10), ['t2/u1'], 'strictly before the cutoff');
      });
    });

    test('listCommunications pages by afterSeq and limit, and filters by direction', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      const seqs = async (after: number, limit: number, direction?: 'user' | 'agent') =>
        (await store.listCommunications('t1', after, limit, direction)).map((c) => c.seq);
      assert.deepEqual(await seqs(0, 2), [1, 2]);
      assert.deepEqual(await seqs(2, 2), [3, 4]);
      assert.deepEqual(await seqs(4, 2), []);
      assert.deepEqual(await seqs(0, 10, 'agent'), [2, 4]);
      assert.deepEqual(await seqs(2, 10, 'user'), [3]);
      assert.deepEqual(await store.listCommunications('missing', 0, 10), []);
    });

    test('listRecentTurns: the newest user messages, returned oldest first', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      await store.transaction(async (tx) => {
        await tx.insertCommunication(userMessage('t1', 5, 'ag1'));
        await tx.updateTask('t1', { lastSeq: 5, updatedAt: 1005 });
      });
      assert.deepEqual((await store.listRecentTurns('t1', 2)).map((c) => c.messageId), ['u3', 'u5']);
      assert.deepEqual((await store.listRecentTurns('t1', 10)).map((c) => c.messageId), ['u1', 'u3', 'u5']);
    });

    test('a repeated seq, message id or webhook id is rejected', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      const insert = (row: ReturnType<typeof userMessage>) => store.transaction((tx) => tx.insertCommunication(row));
      await assert.rejects(insert(userMessage('t1', 4, 'ag1', { messageId: 'fresh' })));
      await assert.rejects(insert(userMessage('t1', 9, 'ag1', { messageId: 'u1' })));
      await assert.rejects(insert(agentMessage('t1', 9, 'ag1', { webhookId: 'wh-2' })));
      assert.equal((await store.getTask('t1'))?.lastSeq, 4);
    });
    test('a repeated message id is a UniqueViolationError', async (t) => {
      const { store } = await dialect.fresh(t);
      await seed(store);
      await assert.rejects(
        store.transaction((tx) => tx.insertCommunication(userMessage('t1', 9, 'ag1', { messageId: 'u1' }))),
        UniqueViolationError,
      );
    });
  });
}
