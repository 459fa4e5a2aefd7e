/** SQLite schema, one entry per version. Never edit a released entry; append a new one. */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    endpoint_url TEXT,
    endpoint_disabled_at INTEGER,
    token_hash TEXT NOT NULL UNIQUE,
    signing_secret TEXT NOT NULL,
    previous_token_hash TEXT,
    previous_signing_secret TEXT,
    previous_valid_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX agents_previous_token ON agents (previous_token_hash) WHERE previous_token_hash IS NOT NULL;

  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    session_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    status TEXT,
    status_text TEXT,
    status_expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE communications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES tasks (id),
    seq INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('user', 'agent')),
    agent_id TEXT NOT NULL,
    response TEXT NOT NULL,
    final INTEGER NOT NULL DEFAULT 1,
    in_reply_to TEXT,
    webhook_id TEXT,
    turn_state TEXT,
    turn_updated_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (task_id, seq),
    UNIQUE (task_id, message_id)
  );
  CREATE UNIQUE INDEX communications_webhook ON communications (agent_id, webhook_id) WHERE webhook_id IS NOT NULL;
  CREATE INDEX communications_pending_turns ON communications (created_at)
    WHERE turn_state IN ('queued', 'delivered', 'working');
  CREATE INDEX communications_turns ON communications (task_id, seq) WHERE direction = 'user';
  CREATE INDEX communications_message ON communications (message_id);

  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('push', 'pull')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'canceled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    last_status INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    delivered_at INTEGER
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
