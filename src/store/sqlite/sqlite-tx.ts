/** The StoreTx primitives on the SQLite writer connection. Only called inside a group commit. */
import type Database from 'better-sqlite3';
import type { TurnState } from '../../protocol/index.js';
import type { AnswerContext, StoreTx, TurnChange } from '../store.js';
import type { CommunicationRecord, DeliveryPatch, DeliveryRecord, TaskPatch, TaskRecord } from '../records.js';
import { column, sqlValue, toCommunication, toDelivery, toTask, type Row } from './rows.js';
import { translateSqliteError } from './errors.js';

const PENDING_TURN = `turn_state IN ('queued', 'delivered', 'working')`;
const PENDING_STATES = new Set(['queued', 'delivered', 'working']);
// Built once: a statement's text is its cache key, and a string built per call is hashed per call.
const NEWEST_TURN = `SELECT * FROM communications WHERE task_id = ? AND direction = 'user' ORDER BY seq DESC LIMIT 1`;
/** Served by the partial index communications_pending_by_task (migration 3). */
const NEWEST_PENDING_TURN = `SELECT * FROM communications WHERE task_id = ? AND direction = 'user' AND ${PENDING_TURN}
  ORDER BY seq DESC LIMIT 1`;

export class SqliteTx implements StoreTx {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Runs an insert, turning unique-constraint failures into UniqueViolationError. */
  private insert(text: string, params: object): void {
    try {
      this.sql(text).run(params);
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  /** Patch statements by table and the patch's keys, in order: building the SQL each time is measurable. */
  private readonly patches = new Map<string, Database.Statement>();

  /**
   * `UPDATE table SET <each defined key> … WHERE idColumn = id`, with `extra` appended to the SET
   * list and `returning` (a column) read back. Values are bound by position, in the patch's order.
   */
  private patch(table: string, idColumn: string, id: string, patch: object, extra = '', returning = ''): unknown {
    let key = `${table}|${extra}|${returning}`;
    const values: unknown[] = [];
    const keys: string[] = [];
    for (const k in patch) {
      const v = (patch as Record<string, unknown>)[k];
      if (v === undefined) continue;
      key += `|${k}`;
      keys.push(k);
      values.push(sqlValue(v));
    }
    let statement = this.patches.get(key);
    if (!statement) {
      const sets = keys.map((k) => `${column(k)} = ?`);
      if (extra) sets.push(extra);
      statement = this.db.prepare(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${idColumn} = ?${returning ? ` RETURNING ${returning}` : ''}`);
      this.patches.set(key, statement);
    }
    values.push(id);
    return returning ? statement.get(...values) : statement.run(...values);
  }

  // The public methods are async (the interface is shared with PostgreSQL), but everything here is
  // synchronous: composite ones call these plain helpers rather than awaiting each other, which
  // would cost a promise and a microtask per step on every answer.

  private task(taskId: string): TaskRecord | null {
    const row = this.sql('SELECT * FROM tasks WHERE id = ?').get(taskId) as Row | undefined;
    return row ? toTask(row) : null;
  }

  private communication(taskId: string, messageId: string): CommunicationRecord | null {
    const row = this.sql('SELECT * FROM communications WHERE task_id = ? AND message_id = ?').get(taskId, messageId) as
      | Row
      | undefined;
    return row ? toCommunication(row) : null;
  }

  private communicationByWebhookId(agentId: string, webhookId: string): CommunicationRecord | null {
    const row = this.sql('SELECT * FROM communications WHERE agent_id = ? AND webhook_id = ?').get(agentId, webhookId) as
      | Row
      | undefined;
    return row ? toCommunication(row) : null;
  }

  private turn(taskId: string, pendingOnly: boolean): CommunicationRecord | null {
    const row = this.sql(pendingOnly ? NEWEST_PENDING_TURN : NEWEST_TURN).get(taskId) as Row | undefined;
    return row ? toCommunication(row) : null;
  }

  private turns(taskId: string): { latest: CommunicationRecord | null; pending: CommunicationRecord | null } {
    const latest = this.turn(taskId, false);
    // The newest turn is the usual pending one; only look further when it is settled.
    const pending = latest === null || PENDING_STATES.has(latest.turnState ?? '') ? latest : this.turn(taskId, true);
    return { latest, pending };
  }

  private context(taskId: string, messageId: string, agentId: string, webhookId: string | null): AnswerContext {
    return {
      byMessageId: this.communication(taskId, messageId),
      byWebhookId: webhookId === null ? null : this.communicationByWebhookId(agentId, webhookId),
      ...this.turns(taskId),
    };
  }

  private insertRow(row: CommunicationRecord): void {
    try {
      // Bound by position: no per-row parameter object to build (this runs for every message).
      this.sql(
        `INSERT INTO communications (task_id, seq, message_id, direction, agent_id, response, final, in_reply_to,
           webhook_id, turn_state, turn_updated_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        row.taskId,
        row.seq,
        row.messageId,
        row.direction,
        row.agentId,
        row.response,
        row.final ? 1 : 0,
        row.inReplyTo,
        row.webhookId,
        row.turnState,
        row.turnUpdatedAt,
        row.createdAt,
      );
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  private turnState(taskId: string, messageId: string, state: TurnState, at: number): void {
    this.sql('UPDATE communications SET turn_state = ?, turn_updated_at = ? WHERE task_id = ? AND message_id = ?').run(
      state,
      at,
      taskId,
      messageId,
    );
  }

  private taskUpdate(taskId: string, patch: TaskPatch): number {
    const row = this.patch('tasks', 'id', taskId, patch, 'version = version + 1', 'version') as { version: number } | undefined;
    return row?.version ?? 0;
  }

  async getTaskForUpdate(taskId: string): Promise<TaskRecord | null> {
    return this.task(taskId);
  }

  async insertTask(task: TaskRecord): Promise<void> {
    this.insert(
      `INSERT INTO tasks (id, agent_id, session_hash, state, last_seq, version, status, status_text, status_expires_at,
         created_at, updated_at)
       VALUES (@id, @agentId, @sessionHash, @state, @lastSeq, @version, @status, @statusText, @statusExpiresAt,
         @createdAt, @updatedAt)`,
      task,
    );
  }

  async updateTask(taskId: string, patch: TaskPatch): Promise<number> {
    return this.taskUpdate(taskId, patch);
  }

  async getCommunication(taskId: string, messageId: string): Promise<CommunicationRecord | null> {
    return this.communication(taskId, messageId);
  }

  async getCommunicationByWebhookId(agentId: string, webhookId: string): Promise<CommunicationRecord | null> {
    return this.communicationByWebhookId(agentId, webhookId);
  }

  async lockTaskForAnswer(taskId: string, messageId: string, agentId: string, webhookId: string | null): Promise<{ task: TaskRecord | null; context: AnswerContext }> {
    return { task: this.task(taskId), context: this.context(taskId, messageId, agentId, webhookId) };
  }

  async readForAnswer(taskId: string, messageId: string, agentId: string, webhookId: string | null): Promise<AnswerContext> {
    return this.context(taskId, messageId, agentId, webhookId);
  }

  async insertCommunication(row: CommunicationRecord): Promise<void> {
    this.insertRow(row);
  }

  async appendMessage(row: CommunicationRecord, patch: TaskPatch, turn?: TurnChange): Promise<number> {
    this.insertRow(row);
    if (turn) this.turnState(row.taskId, turn.messageId, turn.state, turn.at);
    return this.taskUpdate(row.taskId, patch);
  }

  async lockSession(): Promise<void> {
    // One writer connection and one queue: transactions are already serialised.
  }

  async findUserMessageInSession(sessionHash: string, messageId: string): Promise<CommunicationRecord | null> {
    const row = this.sql(
      `SELECT c.* FROM communications c JOIN tasks t ON t.id = c.task_id
       WHERE c.message_id = ? AND c.direction = 'user' AND t.session_hash = ? LIMIT 1`,
    ).get(messageId, sessionHash) as Row | undefined;
    return row ? toCommunication(row) : null;
  }

  async latestPendingTurn(taskId: string): Promise<CommunicationRecord | null> {
    return this.turn(taskId, true);
  }

  async latestTurn(taskId: string): Promise<CommunicationRecord | null> {
    return this.turn(taskId, false);
  }

  async latestTurns(taskId: string): Promise<{ latest: CommunicationRecord | null; pending: CommunicationRecord | null }> {
    return this.turns(taskId);
  }

  async setTurnState(taskId: string, messageId: string, state: TurnState, at: number): Promise<void> {
    this.turnState(taskId, messageId, state, at);
  }

  async listStaleTurns(before: number, limit: number): Promise<CommunicationRecord[]> {
    const rows = this.sql(
      `SELECT * FROM communications WHERE ${PENDING_TURN} AND created_at < ? ORDER BY created_at, task_id, seq LIMIT ?`,
    ).all(before, limit) as Row[];
    return rows.map(toCommunication);
  }

  async insertDelivery(row: DeliveryRecord): Promise<void> {
    this.insert(
      `INSERT INTO deliveries (id, task_id, agent_id, message_id, event_type, payload, mode, state, attempts,
         next_attempt_at, lease_owner, lease_until, last_error, last_status, created_at, updated_at, delivered_at)
       VALUES (@id, @taskId, @agentId, @messageId, @eventType, @payload, @mode, @state, @attempts,
         @nextAttemptAt, @leaseOwner, @leaseUntil, @lastError, @lastStatus, @createdAt, @updatedAt, @deliveredAt)`,
      row,
    );
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const row = this.sql('SELECT * FROM deliveries WHERE id = ?').get(id) as Row | undefined;
    return row ? toDelivery(row) : null;
  }

  async updateDelivery(id: string, patch: DeliveryPatch): Promise<void> {
    this.patch('deliveries', 'id', id, patch);
  }

  async listPendingDeliveriesForMessage(taskId: string, messageId: string): Promise<DeliveryRecord[]> {
    const rows = this.sql(
      `SELECT * FROM deliveries WHERE task_id = ? AND message_id = ? AND state = 'pending'`,
    ).all(taskId, messageId) as Row[];
    return rows.map(toDelivery);
  }
}
