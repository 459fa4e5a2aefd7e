/**
 * PostgreSQL schema, one entry per version, and the migration runner. Never edit a released entry;
 * append a new one. The schema mirrors the SQLite one: times are BIGINT epoch milliseconds, ids are
 * TEXT with the "C" collation so that they sort bytewise, as in SQLite.
 */
import pg from 'pg';
import type { ClientBase } from 'pg';

export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE agents (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    endpoint_url TEXT,
    endpoint_disabled_at BIGINT,
    token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    signing_secret TEXT NOT NULL,
    previous_token_hash TEXT COLLATE "C",
    previous_signing_secret TEXT,
    previous_valid_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX agents_previous_token ON agents (previous_token_hash) WHERE previous_token_hash IS NOT NULL;

  CREATE TABLE tasks (
    id TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    session_hash TEXT COLLATE "C" NOT NULL,
    state TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    status TEXT,
    status_text TEXT,
    status_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE communications (
    id BIGSERIAL PRIMARY KEY,
    task_id TEXT COLLATE "C" NOT NULL REFERENCES tasks (id),
    seq INTEGER NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('user', 'agent')),
    agent_id TEXT COLLATE "C" NOT NULL,
    response TEXT NOT NULL,
    final BOOLEAN NOT NULL DEFAULT TRUE,
    in_reply_to TEXT COLLATE "C",
    webhook_id TEXT COLLATE "C",
    turn_state TEXT,
    turn_updated_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (task_id, seq),
    UNIQUE (task_id, message_id)
  );
  CREATE UNIQUE INDEX communications_webhook ON communications (agent_id, webhook_id) WHERE webhook_id IS NOT NULL;
  CREATE INDEX communications_pending_turns ON communications (created_at)
    WHERE turn_state IN ('queued', 'delivered', 'working');
  CREATE INDEX communications_turns ON communications (task_id, seq) WHERE direction = 'user';
  CREATE INDEX communications_message ON communications (message_id);

  CREATE TABLE deliveries (
    id TEXT COLLATE "C" PRIMARY KEY,
    task_id TEXT COLLATE "C" NOT NULL,
    agent_id TEXT COLLATE "C" NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('push', 'pull')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'canceled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    last_status INTEGER,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delivered_at BIGINT
  );
  CREATE INDEX deliveries_due ON deliveries (mode, next_attempt_at) WHERE state = 'pending';
  CREATE INDEX deliveries_message ON deliveries (task_id, message_id);
  CREATE INDEX deliveries_state ON deliveries (state, created_at);
  `,
  // 2: message IDs are looked up across tasks only for user messages (a retried first message), so
  // agent answers, most of the rows, no longer pay for an entry in this index.
  `
  DROP INDEX communications_message;
  CREATE INDEX communications_user_message ON communications (message_id) WHERE direction = 'user';
  `,
  // 3: the newest pending turn of a task in one index probe. Without it, an answer that finds the
  // newest turn settled walked back through every earlier user turn of the task.
  `
  CREATE INDEX communications_pending_by_task ON communications (task_id, seq)
    WHERE direction = 'user' AND turn_state IN ('queued', 'delivered', 'working');
  `,
];

/**
 * Key of the session-level advisory lock that serialises migrations: instances starting at once
 * queue behind each other here, and the later ones then find nothing left to do.
 * ASCII "wchat" as a number; any constant works as long as it never changes.
 */
export const MIGRATION_LOCK_KEY = 0x7763686174;

/**
 * Session limits of the migration connection. Waiting behind another instance's migration, or
 * running a slow one (an index on a large table), may take minutes, so the store pool's 5 s query
 * timeout must not apply; but a start stuck behind a lock that is never released should still fail
 * in the end rather than hang. Set explicitly, so a low default of the database role cannot cut a
 * migration short either.
 */
const MIGRATION_STATEMENT_TIMEOUT = '15min';
const MIGRATION_LOCK_TIMEOUT = '15min';

/** Where to connect for migrations: the store's connection settings, without its pool limits. */
export interface MigrationConnection {
  connectionString?: string | undefined;
  connectionTimeoutMillis?: number | undefined;
}

/**
 * Migrates on a connection of its own, outside the store's pool (so it has no query timeout and
 * takes no pool slot), and closes it afterwards.
 */
export async function migrateDatabase(connection: MigrationConnection): Promise<void> {
  const client = new pg.Client({ ...connection, keepAlive: true, application_name: 'webhook-chat-migrate' });
  // A connection that dies between queries is reported by the next query; unheard, the 'error'
  // event would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`SET statement_timeout = '${MIGRATION_STATEMENT_TIMEOUT}'`);
    await client.query(`SET lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
    await applyMigrations(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Applies every migration newer than the database's version, each in its own transaction. */
async function applyMigrations(client: ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    for (let version = current + 1; version <= POSTGRES_MIGRATIONS.length; version++) {
      await client.query('BEGIN');
      try {
        await client.query(POSTGRES_MIGRATIONS[version - 1] as string);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, Date.now()]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
  } finally {
    // If the connection died, the server already dropped the lock with the session.
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}
