/**
 * A database made by an earlier version upgrades in place on start: the later migrations apply to
 * it, its rows stay, and the queries they serve use the new indexes. On each dialect a version-1
 * database is rebuilt here by undoing migrations 2 and 3 on a populated one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import type { Store } from '../../src/store/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres.js';
import { agent, agentMessage, task, userMessage } from './fixtures.js';

/** One task with a pending turn, a settled one and its answer. */
async function populate(store: Store): Promise<void> {
  await store.insertAgent(agent('ag1'));
  await store.transaction(async (tx) => {
    await tx.insertTask(task('t1', 'ag1', { lastSeq: 3 }));
    await tx.insertCommunication(userMessage('t1', 1, 'ag1', { messageId: 'u1', turnState: 'queued' }));
    await tx.insertCommunication(userMessage('t1', 2, 'ag1', { messageId: 'u2', turnState: 'answered' }));
    await tx.insertCommunication(agentMessage('t1', 3, 'ag1', { messageId: 'a3', inReplyTo: 'u2' }));
  });
}

/** The rows are all there, and the look-ups the new indexes serve find them. */
async function assertRowsKept(store: Store): Promise<void> {
  assert.deepEqual((await store.listCommunications('t1', 0, 10)).map((c) => c.messageId), ['u1', 'u2', 'a3']);
  await store.transaction(async (tx) => {
    assert.equal((await tx.latestPendingTurn('t1'))?.messageId, 'u1');
    assert.equal((await tx.findUserMessageInSession('session-1', 'u2'))?.seq, 2);
  });
}

test('a version-1 SQLite database upgrades to the current schema and keeps its rows', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-chat-upgrade-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'chat.db');

  const first = new SqliteStore({ path, synchronous: 'NORMAL' });
  await first.migrate();
  await populate(first);
  await first.close();

  // Back to version 1: its message_id index, none of the later ones.
  const db = new Database(path);
  db.exec(`DROP INDEX communications_pending_by_task;
    DROP INDEX communications_user_message;
    CREATE INDEX communications_message ON communications (message_id);
    DELETE FROM schema_migrations WHERE version > 1;`);
  db.close();

  const store = new SqliteStore({ path, synchronous: 'NORMAL' });
  t.after(() => store.close());
  await store.migrate();

  const check = new Database(path, { readonly: true });
  t.after(() => check.close());
  const versions = check.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>;
  assert.deepEqual(versions.map((v) => v.version), SQLITE_MIGRATIONS.map((_, i) => i + 1));
  const indexes = (check.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'communications'`).all() as Array<{ name: string }>).map((r) => r.name);
  assert.ok(indexes.includes('communications_user_message') && indexes.includes('communications_pending_by_task'), indexes.join(', '));
  assert.ok(!indexes.includes('communications_message'));

  await assertRowsKept(store);
  const plan = (sql: string): string => (check.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
  assert.match(plan(`SELECT * FROM communications WHERE task_id = ? AND direction = 'user' AND turn_state IN ('queued', 'delivered', 'working') ORDER BY seq DESC LIMIT 1`), /communications_pending_by_task/);
  assert.match(plan(`SELECT * FROM communications WHERE message_id = ? AND direction = 'user'`), /communications_user_message/);
});

describe('PostgreSQL', { skip: postgresSkip() }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.stop());

  test('a version-1 PostgreSQL database upgrades to the current schema and keeps its rows', async (t) => {
    const url = await server.createSchema();
    const first = new PostgresStore({ url, poolSize: 2 });
    await first.migrate();
    await populate(first);
    await first.close();

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.after(() => client.end());
    // Back to version 1: its message_id index, none of the later ones.
    await client.query(`DROP INDEX communications_pending_by_task;
      DROP INDEX communications_user_message;
      CREATE INDEX communications_message ON communications (message_id);
      DELETE FROM schema_migrations WHERE version > 1;`);

    const store = new PostgresStore({ url, poolSize: 2 });
    t.after(() => store.close());
    await store.migrate();

    const versions = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(versions.rows.map((v) => Number(v.version)), POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    const indexes = (
      await client.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'communications'`)
    ).rows.map((r) => r.indexname);
    assert.ok(indexes.includes('communications_user_message') && indexes.includes('communications_pending_by_task'), indexes.join(', '));
    assert.ok(!indexes.includes('communications_message'));
    await assertRowsKept(store);

    // With sequential scans priced out, the planner shows which index serves each look-up.
    await client.query('SET enable_seqscan = off');
    const plan = async (sql: string): Promise<string> =>
      (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, ['x'])).rows.map((r) => r['QUERY PLAN']).join('; ');
    assert.match(
      await plan(`SELECT * FROM communications WHERE task_id = $1 AND direction = 'user' AND turn_state IN ('queued', 'delivered', 'working') ORDER BY seq DESC LIMIT 1`),
      /communications_pending_by_task/,
    );
    assert.match(await plan(`SELECT * FROM communications WHERE message_id = $1 AND direction = 'user'`), /communications_user_message/);
  });
});
