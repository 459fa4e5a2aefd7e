/**
 * PostgreSQL store on a pg Pool. Every `transaction` is one pooled client in BEGIN…COMMIT, so
 * several instances can share one database: task rows are locked with FOR UPDATE, deliveries are
 * claimed with FOR UPDATE SKIP LOCKED. Reads outside transactions go straight to the pool and see
 * committed data only.
 *
 * The pool outlives database restarts: a dead idle client is dropped (the pool's 'error' event is
 * handled), new ones are opened on demand, and while the server is away each call fails within
 * `connectionTimeoutMillis` with StoreUnavailableError instead of hanging.
 */
import pg from 'pg';
import type { PoolClient } from 'pg';
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
import { isRetryableConflict, isUnavailable, translateError } from './errors.js';
import { migrateDatabase } from './migrations.js';
import { LazyTransaction } from './lazy-transaction.js';
import { PostgresTx } from './postgres-tx.js';
import { first, run } from './query.js';
import { PG_TYPES, setClause, toAgent, toCommunication, toDelivery, toTask } from './rows.js';

export interface PostgresStoreOptions {
  /** Connection string, `postgres://user@host:port/database`. */
  url: string;
  /** Most connections the pool opens. */
  poolSize: number;
  /** How long a call waits for a connection before failing with StoreUnavailableError. Default 2000 ms. */
  connectionTimeoutMillis?: number;
  /**
   * How long one query may wait for its answer before the call fails with StoreUnavailableError
   * and the connection is discarded. A server that stops answering without closing connections (a
   * network partition, a paused VM) would otherwise hold requests forever. Default 5000 ms.
   */
  queryTimeoutMillis?: number;
  /** Told about errors nobody awaits, such as an idle connection dropped by a server restart. */
  onError?: (error: Error) => void;
}

/** A transaction that hit a deadlock or serialization failure is run again, at most this many times in all. */
const MAX_ATTEMPTS = 3;

export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 2000,
      query_timeout: options.queryTimeoutMillis ?? 5000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      types: PG_TYPES,
      application_name: 'webhook-chat',
    });
    // Without a listener, an idle client dying (server restart) would crash the process.
    this.pool.on('error', (error) => options.onError?.(error));
  }

  async migrate(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    // Not on a pooled client: the pool's query timeout would fail a start that waits more than a
    // few seconds behind another instance's migration.
    const { connectionString, connectionTimeoutMillis } = this.pool.options;
    try {
      await migrateDatabase({ connectionString, connectionTimeoutMillis });
    } catch (error) {
      throw translateError(error);
    }
  }

  async ping(): Promise<void> {
    await run(this.pool, 'SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.withClient((client) => this.runOnce(client, fn));
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableConflict(error)) throw error;
      }
    }
  }

  private async runOnce<T>(client: PoolClient, fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    // BEGIN goes out with the first statement (lazy-transaction.ts); a transaction that ran none has nothing to commit.
    const connection = new LazyTransaction(client);
    let value: T;
    try {
      value = await fn(new PostgresTx(connection));
    } catch (error) {
      // A connection that stopped answering is destroyed, not rolled back: that would wait out another timeout.
      if (connection.begun && !isUnavailable(error)) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    if (!connection.begun) return value;
    let command: string;
    try {
      command = (await client.query('COMMIT')).command;
    } catch (error) {
      throw translateError(error);
    }
    // COMMIT of a transaction aborted by an error that `fn` swallowed silently rolls back instead.
    if (command !== 'COMMIT') throw new Error('transaction was rolled back: a statement inside it failed');
    return value;
  }

  /** Checks out a client for `fn`; a client whose connection broke is destroyed, not pooled again. */
  private async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('store is closed');
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translateError(error);
    }
    // A checked-out client has no pool listener; the failing query reports the error itself.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    let broken = false;
    try {
      return await fn(client);
    } catch (error) {
      broken = isUnavailable(error);
      throw error;
    } finally {
      client.removeListener('error', ignore);
      client.release(broken);
    }
  }

  // Agents

  async insertAgent(agent: AgentRecord): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO agents (id, name, description, endpoint_url, endpoint_disabled_at, token_hash, signing_secret,
         previous_token_hash, previous_signing_secret, previous_valid_until, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        agent.id, agent.name, agent.description, agent.endpointUrl, agent.endpointDisabledAt, agent.tokenHash,
        agent.signingSecret, agent.previousTokenHash, agent.previousSigningSecret, agent.previousValidUntil,
        agent.createdAt, agent.updatedAt,
      ],
    );
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const row = await first(this.pool, 'SELECT * FROM agents WHERE id = $1', [id]);
    return row ? toAgent(row) : null;
  }

  async getAgentOfTask(taskId: string): Promise<AgentRecord | null> {
    const row = await first(this.pool, 'SELECT a.* FROM tasks t JOIN agents a ON a.id = t.agent_id WHERE t.id = $1', [taskId]);
    return row ? toAgent(row) : null;
  }

  async getAgentByTokenHash(tokenHash: string, now: number): Promise<AgentRecord | null> {
    const row = await first(
      this.pool,
      `(SELECT *, 0 AS rank FROM agents WHERE token_hash = $1)
       UNION ALL
       (SELECT *, 1 AS rank FROM agents WHERE previous_token_hash = $1 AND previous_valid_until > $2)
       ORDER BY rank LIMIT 1`,
      [tokenHash, now],
    );
    return row ? toAgent(row) : null;
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (await run(this.pool, 'SELECT * FROM agents ORDER BY created_at, id')).map(toAgent);
  }

  async updateAgent(id: string, patch: AgentPatch): Promise<void> {
    const { sets, values } = setClause('agents', patch);
    values.push(id);
    await run(this.pool, `UPDATE agents SET ${sets.join(', ')} WHERE id = $${values.length}`, values);
  }

  // Tasks and communications

  async getTask(taskId: string): Promise<TaskRecord | null> {
    const row = await first(this.pool, 'SELECT * FROM tasks WHERE id = $1', [taskId]);
    return row ? toTask(row) : null;
  }

  async listCommunications(
    taskId: string,
    afterSeq: number,
    limit: number,
    direction?: 'user' | 'agent',
  ): Promise<CommunicationRecord[]> {
    const rows = direction
      ? await run(
          this.pool,
          'SELECT * FROM communications WHERE task_id = $1 AND seq > $2 AND direction = $3 ORDER BY seq LIMIT $4',
          [taskId, afterSeq, direction, limit],
        )
      : await run(this.pool, 'SELECT * FROM communications WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [
          taskId,
          afterSeq,
          limit,
        ]);
    return rows.map(toCommunication);
  }

  async listRecentTurns(taskId: string, limit: number): Promise<CommunicationRecord[]> {
    const rows = await run(
      this.pool,
      `SELECT * FROM communications WHERE task_id = $1 AND direction = 'user' ORDER BY seq DESC LIMIT $2`,
      [taskId, limit],
    );
    return rows.map(toCommunication).reverse();
  }

  async listTasks(filter: TaskFilter): Promise<TaskSummaryRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    for (const [sql, value] of [
      ['t.state =', filter.state],
      ['t.agent_id =', filter.agentId],
      ['t.id <', filter.before],
    ] as const) {
      if (value === undefined) continue;
      values.push(value);
      where.push(`${sql} $${values.length}`);
    }
    values.push(filter.limit);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    // The count reads the communications_turns index; the order walks the primary key.
    const rows = await run(
      this.pool,
      `SELECT t.*, (SELECT COUNT(*) FROM communications c WHERE c.task_id = t.id AND c.direction = 'user') AS turn_count
       FROM tasks t ${clause} ORDER BY t.id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map((r) => ({ ...toTask(r), turnCount: Number(r.turn_count) }));
  }

  async listDeliveriesForMessages(taskId: string, messageIds: readonly string[]): Promise<DeliveryRecord[]> {
    if (messageIds.length === 0) return [];
    const rows = await run(
      this.pool,
      `SELECT * FROM deliveries WHERE task_id = $1 AND event_type = 'task.message' AND message_id = ANY($2::text[])
       ORDER BY created_at, id`,
      [taskId, [...messageIds]],
    );
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
    const values: unknown[] = [opts.mode, opts.now, opts.limit, opts.owner, opts.leaseUntil];
    let agentFilter = '';
    if (opts.agentId !== undefined) {
      values.push(opts.agentId);
      agentFilter = 'AND agent_id = $6';
    }
    // SKIP LOCKED passes over rows another claimer is taking right now; the lease condition,
    // re-checked on the locked row, passes over rows another claimer already took.
    const rows = await run(
      this.pool,
      `WITH due AS (
         SELECT id FROM deliveries
         WHERE state = 'pending' AND mode = $1 AND next_attempt_at <= $2
           AND (lease_until IS NULL OR lease_until <= $2) ${agentFilter}
         ORDER BY next_attempt_at, created_at
         LIMIT $3
         FOR UPDATE SKIP LOCKED)
       UPDATE deliveries d SET lease_owner = $4, lease_until = $5, updated_at = $2
       FROM due WHERE d.id = due.id
       RETURNING d.*`,
      values,
    );
    return rows.map(toDelivery).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt);
  }

  async nextDeliveryDueAt(mode: DeliveryMode, agentId?: string): Promise<number | null> {
    const due = 'MIN(GREATEST(next_attempt_at, COALESCE(lease_until, 0))) AS due';
    const row =
      agentId === undefined
        ? await first(this.pool, `SELECT ${due} FROM deliveries WHERE state = 'pending' AND mode = $1`, [mode])
        : await first(this.pool, `SELECT ${due} FROM deliveries WHERE state = 'pending' AND mode = $1 AND agent_id = $2`, [
            mode,
            agentId,
          ]);
    return row?.due === null || row?.due === undefined ? null : Number(row.due);
  }

  async releaseLeases(owner: string): Promise<void> {
    await run(
      this.pool,
      `UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND state = 'pending'`,
      [owner],
    );
  }

  async listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    for (const [column, value] of [
      ['state', filter.state],
      ['agent_id', filter.agentId],
      ['task_id', filter.taskId],
    ] as const) {
      if (!value) continue;
      values.push(value);
      where.push(`${column} = $${values.length}`);
    }
    values.push(filter.limit);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await run(
      this.pool,
      `SELECT * FROM deliveries ${clause} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(toDelivery);
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const row = await first(this.pool, 'SELECT * FROM deliveries WHERE id = $1', [id]);
    return row ? toDelivery(row) : null;
  }

  async countPendingDeliveries(): Promise<number> {
    const row = await first(this.pool, `SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'`);
    return Number(row?.n ?? 0);
  }
}
