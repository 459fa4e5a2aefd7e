/**
 * PostgreSQL going away and coming back: calls fail fast with StoreUnavailableError (HTTP 503),
 * nothing crashes, and the same store works again once the server is back, with no app restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { StoreUnavailableError } from '../../src/store/store-errors.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres.js';
import { agent, task } from './fixtures.js';

describe('PostgresStore through outages', { skip: postgresSkip() }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server.stop());

  async function open(t: { after(fn: () => Promise<void>): void }): Promise<{ store: PostgresStore; errors: Error[] }> {
    const errors: Error[] = [];
    const store = new PostgresStore({ url: await server.createSchema(), poolSize: 4, onError: (e) => errors.push(e) });
    t.after(() => store.close());
    await store.migrate();
    await store.insertAgent(agent('ag1'));
    return { store, errors };
  }

  for (const mode of ['fast', 'immediate'] as const) {
    test(`while the server is down (${mode} shutdown) every call fails fast with StoreUnavailableError; then the same store recovers`, { timeout: 20_000 }, async (t) => {
      const { store, errors } = await open(t);
      // Fill the pool with idle connections, which the shutdown will kill under it.
      await Promise.all(Array.from({ length: 4 }, () => store.transaction(async (tx) => tx.getTaskForUpdate('x'))));
      await server.stopServer(mode);
      t.after(() => server.startServer()); // never leave the server down for the next test

      const started = performance.now();
      await assert.rejects(store.ping(), StoreUnavailableError);
      await assert.rejects(store.getAgent('ag1'), StoreUnavailableError);
      await assert.rejects(store.transaction(async (tx) => tx.insertTask(task('t1', 'ag1'))), StoreUnavailableError);
      await assert.rejects(store.migrate(), StoreUnavailableError);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 2500, `failed within ${elapsed.toFixed(0)} ms`);
      assert.ok(errors.length > 0, 'the dropped idle connections were reported, not thrown');

      await server.startServer();
      await store.ping(); // the very first call after the restart already works
      await store.transaction(async (tx) => tx.insertTask(task('t1', 'ag1')));
      assert.equal((await store.getTask('t1'))?.id, 't1');
    });
  }

  test('a transaction whose connection is killed mid-way rejects with StoreUnavailableError, then the next one works', { timeout: 20_000 }, async (t) => {
    const { store } = await open(t);
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.insertTask(task('t1', 'ag1'));
        await server.terminateBackends('webhook-chat');
        await tx.insertTask(task('t2', 'ag1'));
      }),
      StoreUnavailableError,
    );
    assert.equal(await store.getTask('t1'), null, 'nothing of it was committed');
    await store.transaction(async (tx) => tx.insertTask(task('t3', 'ag1')));
    assert.equal((await store.getTask('t3'))?.id, 't3');
  });

  test('idle connections killed by the server are dropped quietly and replaced', { timeout: 20_000 }, async (t) => {
    const { store, errors } = await open(t);
    await Promise.all(Array.from({ length: 4 }, () => store.getAgent('ag1')));
    const killed = await server.terminateBackends('webhook-chat');
    assert.ok(killed >= 1);
    // Each idle client hears of its death asynchronously; wait for the reports, not for a time.
    while (errors.length < killed) await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await store.getAgent('ag1'))?.id, 'ag1');
  });
});
