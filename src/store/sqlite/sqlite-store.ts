/**
 * SQLite store on better-sqlite3 in WAL mode.
 *
 * Writes go through one queue and are committed in groups: every transaction queued while a
 * commit is being prepared joins the same BEGIN…COMMIT, each inside its own SAVEPOINT so that one
 * failing rolls back alone. One fsync then covers the whole group, and each caller resolves only
 * after that commit. Reads use a second connection, which sees committed data only.
 *
 * Durability without blocking: with `synchronous: 'FULL'` the connection itself runs at NORMAL
 * (the commit writes the WAL but does not fsync it) and the store fsyncs the WAL file on libuv's
 * thread pool after each group, resolving the group's callers only when that fsync is done. That
 * is the durability of SQLite's FULL (the WAL is on disk before anyone hears "committed"), but the
 * event loop keeps serving requests, and prepares the next group, while the disk works. WAL
 * checkpoints, SQLite's other fsyncs, run on a worker thread too (checkpointer.ts).
 */
import { closeSync, fdatasync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Store, StoreTx } from '../store.js';
import type {
  AgentPatch,
  AgentRecord,
  CommunicationRecord,
  DeliveryFilter,
  DeliveryMode,
  DeliveryRecord,
  TaskFilter,
  TaskRecord,
  TaskSummaryRecord,
} from '../records.js';
import { Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { translateSqliteError } from './errors.js';
import { SqliteTx } from './sqlite-tx.js';
import { column, sqlValue, toAgent, toCommunication, toDelivery, toTask, type Row } from './rows.js';

interface Pending {
  fn: (tx: StoreTx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * A LIMIT written into the statement. A bound LIMIT makes SQLite re-plan the statement on every
 * run, which costs more than the query (~19 against ~8 µs for a page of answers here). Limits come
 * from the code, not from clients, so each distinct limit is one cached statement.
 */
export function limitSql(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad limit ${n}`);
  return String(n);
}

/** The most transactions committed together; bounds the latency one group adds. */
const MAX_GROUP = 1024;

export interface SqliteStoreOptions {
  /** A file path, or `:memory:`. */
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  /** Hears of background failures (a WAL checkpoint that failed). */
  onError?: (error: Error) => void;
  /** How the WAL is checkpointed (tests make it small and frequent). */
  checkpoint?: Pick<CheckpointerOptions, 'intervalMs' | 'restartFrames' | 'maxHoldMs' | 'walSizeLimit'>;
}

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly tx: SqliteTx;
  private readonly queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  private closed = false;
  /** The WAL file to fsync after each group (FULL on a file); null when SQLite syncs itself. */
  private readonly walPath: string | null;
  /** The WAL file, for its size (null for an in-memory database). */
  private readonly walFile: string | null;
  private walFd: number | null = null;
  /** Groups committed whose fsync has not finished yet. */
  private syncing = 0;
  /** Checkpoints the WAL off the event loop (files only). */
  private readonly checkpointer: Checkpointer | null;
  /** Commits wait while the checkpointer finishes a checkpoint (so the WAL can start over). */
  private held = false;
  /** Called when the group being committed is done, for a hold that waits for it. */
  private onFlushed: (() => void) | null = null;

  constructor(options: SqliteStoreOptions) {
    const memory = options.path === ':memory:';
    if (!memory) mkdirSync(dirname(options.path), { recursive: true });
    this.writer = new Database(options.path);
    this.writer.pragma('journal_mode = WAL');
    // FULL on a file: SQLite writes the WAL at NORMAL and the store fsyncs it off the event loop.
    this.walFile = memory ? null : `${options.path}-wal`;
    this.walPath = options.synchronous === 'FULL' ? this.walFile : null;
    this.writer.pragma(`synchronous = ${this.walPath ? 'NORMAL' : options.synchronous}`);
    this.writer.pragma('foreign_keys = ON');
    this.writer.pragma('busy_timeout = 5000');
    // An in-memory database cannot be opened twice, so it reads through the writer.
    this.reader = memory ? this.writer : new Database(options.path, { readonly: false });
    if (!memory) {
      this.reader.pragma('busy_timeout = 5000');
      this.reader.pragma('query_only = ON');
    }
    this.tx = new SqliteTx(this.writer);
    this.checkpointer = memory
      ? null
      : new Checkpointer({
          ...options.checkpoint,
          path: options.path,
          writer: this.writer,
          quiesce: () => this.hold(),
          ...(options.onError ? { onError: options.onError } : {}),
        });
  }

  // Prepared once: re-parsing these for every transaction of a group is measurable.
  private unitStatements: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit', Database.Statement> | null = null;
  private get unit() {
    this.unitStatements ??= {
      begin: this.writer.prepare('BEGIN IMMEDIATE'),
      savepoint: this.writer.prepare('SAVEPOINT unit'),
      release: this.writer.prepare('RELEASE unit'),
      rollbackTo: this.writer.prepare('ROLLBACK TO unit'),
      commit: this.writer.prepare('COMMIT'),
    };
    return this.unitStatements;
  }

  async migrate(): Promise<void> {
    const db = this.writer;
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    for (let version = current + 1; version <= SQLITE_MIGRATIONS.length; version++) {
      const sql = SQLITE_MIGRATIONS[version - 1] as string;
      db.transaction(() => {
        db.exec(sql);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
      }).immediate();
    }
  }

  /**
   * How commits reach the disk: `FULL` when the WAL is fsynced before a commit is reported
   * (by SQLite itself, or by the store off the event loop), and the writer's journal mode.
   */
  durability(): { synchronous: 'FULL' | 'NORMAL'; storeSyncsWal: boolean; journalMode: string } {
    const level = this.writer.pragma('synchronous', { simple: true }) as number;
    const storeSyncsWal = this.walPath !== null;
    return {
      synchronous: level >= 2 || storeSyncsWal ? 'FULL' : 'NORMAL',
      storeSyncsWal,
      journalMode: String(this.writer.pragma('journal_mode', { simple: true })),
    };
  }

  /** The WAL file's size: what the checkpointer keeps bounded (0 before the first commit). */
  walBytes(): number {
    if (this.walFile === null) return 0;
    try {
      return statSync(this.walFile).size;
    } catch {
      return 0;
    }
  }

  async ping(): Promise<void> {
    this.read('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.queue.length > 0 || this.flushing || this.syncing > 0) await new Promise((r) => setImmediate(r));
    this.closed = true;
    await this.checkpointer?.stop();
    if (this.walFd !== null) closeSync(this.walFd);
    if (this.reader !== this.writer) this.reader.close();
    this.writer.close();
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled && !this.flushing && !this.held) {
        this.scheduled = true;
        // Idle (the store fsyncs the WAL, and no fsync is running): start as soon as the caller's
        // synchronous work is done, so a lone webhook does not wait behind the rest of the event
        // loop's turn. Busy: wait for the turn to end, so that everything queued meanwhile commits
        // as one group (and one fsync).
        if (this.walPath !== null && this.syncing === 0) queueMicrotask(() => void this.flush());
        else setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0 && !this.held) {
        const group = this.queue.splice(0, MAX_GROUP);
        await this.commitGroup(group);
      }
    } finally {
      this.flushing = false;
      const flushed = this.onFlushed;
      this.onFlushed = null;
      flushed?.();
    }
  }

  /**
   * Holds commits for the checkpointer: resolves when no group is being committed, with the
   * function that lets them go again. Transactions queued meanwhile wait and then commit together.
   */
  private hold(): Promise<() => void> {
    this.held = true;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.held = false;
      if (this.queue.length > 0 && !this.scheduled && !this.flushing) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    };
    if (!this.flushing) return Promise.resolve(release);
    return new Promise((resolve) => {
      this.onFlushed = () => resolve(release);
    });
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const unit = this.unit;
    try {
      unit.begin.run();
    } catch (error) {
      for (const item of group) item.reject(error);
      return;
    }
    for (const item of group) {
      unit.savepoint.run();
      try {
        const value = await item.fn(this.tx);
        unit.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        unit.rollbackTo.run();
        unit.release.run();
        outcomes.push({ ok: false, error });
      }
    }
    try {
      unit.commit.run();
    } catch (error) {
      if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
      for (const item of group) item.reject(error);
      return;
    }
    const settle = (syncError?: unknown): void => {
      group.forEach((item, i) => {
        const outcome = outcomes[i];
        if (syncError !== undefined) item.reject(syncError);
        else if (outcome?.ok) item.resolve(outcome.value);
        else item.reject(outcome?.error);
      });
    };
    if (this.walPath === null) {
      settle();
      return;
    }
    this.syncWal(settle);
  }

  /**
   * fsyncs the WAL on the thread pool, then calls `done`. Any fsync that starts after a commit
   * covers that commit's frames, whichever descriptor it uses, so groups need no ordering here.
   */
  private syncWal(done: (error?: unknown) => void): void {
    try {
      // The WAL exists from the first commit on; it is removed only when the last connection closes.
      this.walFd ??= openSync(this.walPath as string, 'r');
    } catch (error) {
      done(error);
      return;
    }
    this.syncing++;
    // fdatasync, as SQLite itself syncs the WAL: the frames' bytes, without the file's mtime.
    fdatasync(this.walFd, (error) => {
      this.syncing--;
      done(error ?? undefined);
    });
  }

  private readonly writerReads = new Map<string, Database.Statement>();
  private readonly readerReads = new Map<string, Database.Statement>();
  /**
   * A read statement on the connection that will answer it fastest with committed data only.
   * SQLite drops a connection's whole page cache when it starts a read and finds that another
   * connection has written since, so after every commit the reader connection starts cold (each
   * lookup re-reads its pages: ~50 µs here, against ~5 µs warm). The writer's cache is always warm,
   * and whenever no group is open on it, it sees exactly the committed data; reads go there then,
   * and to the reader connection only while a group's transaction is open.
   */
  private read(sql: string): Database.Statement {
    const onWriter = !this.writer.inTransaction;
    const cache = onWriter ? this.writerReads : this.readerReads;
    let statement = cache.get(sql);
    if (!statement) {
      statement = (onWriter ? this.writer : this.reader).prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  }

  // Agents

  async insertAgent(agent: AgentRecord): Promise<void> {
    await this.transaction(async () => {
      try {
        this.writer
        .prepare(
          `INSERT INTO agents (id, name, description, endpoint_url, endpoint_disabled_at, token_hash, signing_secret,
             previous_token_hash, previous_signing_secret, previous_valid_until, created_at, updated_at)
           VALUES (@id, @name, @description, @endpointUrl, @endpointDisabledAt, @tokenHash, @signingSecret,
             @previousTokenHash, @previousSigningSecret, @previousValidUntil, @createdAt, @updatedAt)`,
        )
        .run(agent);
      } catch (error) {
        throw translateSqliteError(error);
      }
    });
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const row = this.read('SELECT * FROM agents WHERE id = ?').get(id) as Row | undefined;
    return row ? toAgent(row) : null;
  }

  async getAgentOfTask(taskId: string): Promise<AgentRecord | null> {
    const row = this.read('SELECT a.* FROM tasks t JOIN agents a ON a.id = t.agent_id WHERE t.id = ?').get(taskId) as Row | undefined;
    return row ? toAgent(row) : null;
  }

  async getAgentByTokenHash(tokenHash: string, now: number): Promise<AgentRecord | null> {
    const row = this.read(
      `SELECT * FROM agents WHERE token_hash = ?
       UNION ALL
       SELECT * FROM agents WHERE previous_token_hash = ? AND previous_valid_until > ?
       LIMIT 1`,
    ).get(tokenHash, tokenHash, now) as Row | undefined;
    return row ? toAgent(row) : null;
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (this.read('SELECT * FROM agents ORDER BY created_at, id').all() as Row[]).map(toAgent);
  }

  async updateAgent(id: string, patch: AgentPatch): Promise<void> {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    const sets = entries.map(([k]) => `${column(k)} = @${k}`).join(', ');
    const params: Record<string, unknown> = { id };
    for (const [k, v] of entries) params[k] = sqlValue(v);
    await this.transaction(async () => {
      this.writer.prepare(`UPDATE agents SET ${sets} WHERE id = @id`).run(params);
    });
  }

  // Tasks and communications

  async getTask(taskId: string): Promise<TaskRecord | null> {
    const row = this.read('SELECT * FROM tasks WHERE id = ?').get(taskId) as Row | undefined;
    return row ? toTask(row) : null;
  }

  async listCommunications(
    taskId: string,
    afterSeq: number,
    max: number,
    direction?: 'user' | 'agent',
  ): Promise<CommunicationRecord[]> {
    // The direction is written into the statement: compared with a bound value, SQLite re-plans
    // the statement on every run (the column is in a partial index's WHERE), at ~4× the cost.
    const where = direction === undefined ? '' : ` AND direction = '${direction === 'user' ? 'user' : 'agent'}'`;
    const rows = this.read(`SELECT * FROM communications WHERE task_id = ? AND seq > ?${where} ORDER BY seq LIMIT ${limitSql(max)}`).all(
      taskId,
      afterSeq,
    );
    return (rows as Row[]).map(toCommunication);
  }

  async listRecentTurns(taskId: string, max: number): Promise<CommunicationRecord[]> {
    const rows = this.read(
      `SELECT * FROM communications WHERE task_id = ? AND direction = 'user' ORDER BY seq DESC LIMIT ${limitSql(max)}`,
    ).all(taskId) as Row[];
    return rows.map(toCommunication).reverse();
  }

  async listTasks(filter: TaskFilter): Promise<TaskSummaryRecord[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    for (const [key, sql] of [
      ['state', 't.state = @state'],
      ['agentId', 't.agent_id = @agentId'],
      ['before', 't.id < @before'],
    ] as const) {
      if (filter[key] === undefined) continue;
      where.push(sql);
      params[key] = filter[key];
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    // The count reads the communications_turns index; the order walks the primary key.
    const rows = this.read(
      `SELECT t.*, (SELECT COUNT(*) FROM communications c WHERE c.task_id = t.id AND c.direction = 'user') AS turn_count
       FROM tasks t ${clause} ORDER BY t.id DESC LIMIT ${limitSql(filter.limit)}`,
    ).all(params) as Row[];
    return rows.map((r) => ({ ...toTask(r), turnCount: Number(r.turn_count) }));
  }

  async listDeliveriesForMessages(taskId: string, messageIds: readonly string[]): Promise<DeliveryRecord[]> {
    if (messageIds.length === 0) return [];
    const placeholders = messageIds.map(() => '?').join(', ');
    const rows = this.read(
      `SELECT * FROM deliveries WHERE task_id = ? AND event_type = 'task.message' AND message_id IN (${placeholders})
       ORDER BY created_at`,
    ).all(taskId, ...messageIds) as Row[];
    return rows.map(toDelivery);
  }

  // Outbox

  async claimDeliveries(opts: {
    mode: DeliveryMode;
    now: number;
    limit: number;
    owner: string;
    leaseUntil: number;
    agentId?: string;
  }): Promise<DeliveryRecord[]> {
    return this.transaction(async () => {
      const agentFilter = opts.agentId === undefined ? '' : 'AND agent_id = @agentId';
      const rows = this.writer
        .prepare(
          `UPDATE deliveries SET lease_owner = @owner, lease_until = @leaseUntil, updated_at = @now
           WHERE id IN (
             SELECT id FROM deliveries
             WHERE state = 'pending' AND mode = @mode AND next_attempt_at <= @now
               AND (lease_until IS NULL OR lease_until <= @now) ${agentFilter}
             ORDER BY next_attempt_at, created_at LIMIT ${limitSql(opts.limit)})
           RETURNING *`,
        )
        .all({ mode: opts.mode, now: opts.now, owner: opts.owner, leaseUntil: opts.leaseUntil, agentId: opts.agentId ?? null }) as Row[];
      return rows.map(toDelivery).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt);
    });
  }

  async nextDeliveryDueAt(mode: DeliveryMode, agentId?: string): Promise<number | null> {
    const row = (
      agentId === undefined
        ? this.read(
            `SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) AS due FROM deliveries
             WHERE state = 'pending' AND mode = ?`,
          ).get(mode)
        : this.read(
            `SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) AS due FROM deliveries
             WHERE state = 'pending' AND mode = ? AND agent_id = ?`,
          ).get(mode, agentId)
    ) as { due: number | null };
    return row.due;
  }

  async releaseLeases(owner: string): Promise<void> {
    await this.transaction(async () => {
      this.writer
        .prepare(`UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND state = 'pending'`)
        .run(owner);
    });
  }

  async listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.state) {
      where.push('state = @state');
      params.state = filter.state;
    }
    if (filter.agentId) {
      where.push('agent_id = @agentId');
      params.agentId = filter.agentId;
    }
    if (filter.taskId) {
      where.push('task_id = @taskId');
      params.taskId = filter.taskId;
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.read(`SELECT * FROM deliveries ${clause} ORDER BY created_at DESC, id DESC LIMIT ${limitSql(filter.limit)}`).all(params) as Row[];
    return rows.map(toDelivery);
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const row = this.read('SELECT * FROM deliveries WHERE id = ?').get(id) as Row | undefined;
    return row ? toDelivery(row) : null;
  }

  async countPendingDeliveries(): Promise<number> {
    const row = this.read(`SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'`).get() as { n: number };
    return row.n;
  }
}
