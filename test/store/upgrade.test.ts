/**
 * A database made by an earlier version upgrades in place on start: the later migrations apply to
 * it, its rows stay, and the queries they serve use the new indexes. (SQLite: a version-1 file is
 * rebuilt here by undoing migrations 2 and 3 on a populated database.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { agent, agentMessage, task, userMessage } from './fixtures.js';

test('a version-1 SQLite database upgrades to the current schema and keeps its rows', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-chat-upgrade-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'chat.db');

  const first = new SqliteStore({ path, synchronous: 'NORMAL' });
  await first.migrate();
  await first.insertAgent(agent('ag1'));
  await first.transaction(async (tx) => {
    await tx.insertTask(task('t1', 'ag1', { lastSeq: 3 }));
    await tx.insertCommunication(userMessage('t1', 1, 'ag1', { messageId: 'u1', turnState: 'queued' }));
    await tx.insertCommunication(userMessage('t1', 2, 'ag1', { messageId: 'u2', turnState: 'answered' }));
    await tx.insertCommunication(agentMessage('t1', 3, 'ag1', { messageId: 'a3', inReplyTo: 'u2' }));
  });
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

  // The rows are all there, and the look-ups the new indexes serve find them.
  assert.deepEqual((await store.listCommunications('t1', 0, 10)).map((c) => c.messageId), ['u1', 'u2', 'a3']);
  await store.transaction(async (tx) => {
    assert.equal((await tx.latestPendingTurn('t1'))?.messageId, 'u1');
    assert.equal((await tx.findUserMessageInSession('session-1', 'u2'))?.seq, 2);
  });
  const plan = (sql: string): string => (check.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
  assert.match(plan(`SELECT * FROM communications WHERE task_id = ? AND direction = 'user' AND turn_state IN ('queued', 'delivered', 'working') ORDER BY seq DESC LIMIT 1`), /communications_pending_by_task/);
  assert.match(plan(`SELECT * FROM communications WHERE message_id = ? AND direction = 'user'`), /communications_user_message/);
});
