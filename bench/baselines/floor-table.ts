/**
 * The one-table store of the ingest baselines: SQLite (WAL, synchronous=NORMAL) with an answers
 * table that has no index but its rowid, and the insert they run per webhook.
 */
import Database from 'better-sqlite3';

export function openFloorTable(path: string): { db: Database.Database; insert: Database.Statement<[string, string, string, number]> } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS communications (
    id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, message_id TEXT NOT NULL,
    response TEXT NOT NULL, created_at INTEGER NOT NULL)`);
  const insert = db.prepare<[string, string, string, number]>('INSERT INTO communications (task_id, message_id, response, created_at) VALUES (?, ?, ?, ?)');
  return { db, insert };
}
