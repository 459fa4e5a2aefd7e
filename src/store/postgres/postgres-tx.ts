/** The StoreTx primitives on one checked-out client, inside BEGIN…COMMIT. */
import type { TurnState } from '../../protocol/index.js';
import type { AnswerContext, StoreTx, TurnChange } from '../store.js';
import type { CommunicationRecord, DeliveryPatch, DeliveryRecord, TaskPatch, TaskRecord } from '../records.js';
import type { LazyTransaction } from './lazy-transaction.js';
import { first, run } from './query.js';
import { setClause, toCommunication, toDelivery, toTask, type Row } from './rows.js';

const PENDING_TURN = `turn_state IN ('queued', 'delivered', 'working')`;

/** The row lock serialises writers of one task (seq allocation) until the transaction ends. */
const LOCK_TASK = 'SELECT * FROM tasks WHERE id = $1 FOR UPDATE';

/** readForAnswer's four look-ups, each row tagged with what found it. */
const READ_FOR_ANSWER = `SELECT 'message' AS found_by, * FROM communications WHERE task_id = $1 AND message_id = $2
  UNION ALL
  SELECT 'webhook' AS found_by, * FROM communications WHERE $4::text IS NOT NULL AND agent_id = $3 AND webhook_id = $4
  UNION ALL
  (SELECT 'latest' AS found_by, * FROM communications WHERE task_id = $1 AND direction = 'user' ORDER BY seq DESC LIMIT 1)
  UNION ALL
  (SELECT 'pending' AS found_by, * FROM communications WHERE task_id = $1 AND direction = 'user' AND ${PENDING_TURN}
   ORDER BY seq DESC LIMIT 1)`;

function answerContext(rows: Row[]): AnswerContext {
  const found = (by: string): CommunicationRecord | null => {
    const row = rows.find((r) => r.found_by === by);
    return row ? toCommunication(row) : null;
  };
  return { byMessageId: found('message'), byWebhookId: found('webhook'), latest: found('latest'), pending: found('pending') };
}

export class PostgresTx implements StoreTx {
  constructor(private readonly db: LazyTransaction) {}

  async getTaskForUpdate(taskId: string): Promise<TaskRecord | null> {
    // The row lock serialises writers of one task (seq allocation) until this transaction ends.
    // Usually the first statement: it then shares its round trip with BEGIN.
    const [[row] = []] = await this.db.batch([LOCK_TASK], [taskId]);
    return row ? toTask(row) : null;
  }

  async lockTaskForAnswer(taskId: string, messageId: string, agentId: string, webhookId: string | null): Promise<{ task: TaskRecord | null; context: AnswerContext }> {
    // One round trip: the lock (with BEGIN, when first), then the reads, which run once it is granted.
    const [[row] = [], rows = []] = await this.db.batch([LOCK_TASK, READ_FOR_ANSWER], [taskId, messageId, agentId, webhookId]);
    return { task: row ? toTask(row) : null, context: answerContext(rows) };
  }

  async insertTask(task: TaskRecord): Promise<void> {
    await run(
      this.db,
      `INSERT INTO tasks (id, agent_id, session_hash, state, last_seq, version, status, status_text, status_expires_at,
         created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        task.id, task.agentId, task.sessionHash, task.state, task.lastSeq, task.version, task.status,
        task.statusText, task.statusExpiresAt, task.createdAt, task.updatedAt,
      ],
    );
  }

  async updateTask(taskId: string, patch: TaskPatch): Promise<number> {
    const { sets, values } = setClause('tasks', patch);
    sets.push('version = version + 1');
    values.push(taskId);
    const row = await first(this.db, `UPDATE tasks SET ${sets.join(', ')} WHERE id = $${values.length} RETURNING version`, values);
    return row ? Number(row.version) : 0;
  }

  async getCommunication(taskId: string, messageId: string): Promise<CommunicationRecord | null> {
    const row = await first(this.db, 'SELECT * FROM communications WHERE task_id = $1 AND message_id = $2', [
      taskId,
      messageId,
    ]);
    return row ? toCommunication(row) : null;
  }

  async getCommunicationByWebhookId(agentId: string, webhookId: string): Promise<CommunicationRecord | null> {
    const row = await first(this.db, 'SELECT * FROM communications WHERE agent_id = $1 AND webhook_id = $2', [
      agentId,
      webhookId,
    ]);
    return row ? toCommunication(row) : null;
  }

  async readForAnswer(taskId: string, messageId: string, agentId: string, webhookId: string | null): Promise<AnswerContext> {
    return answerContext(await run(this.db, READ_FOR_ANSWER, [taskId, messageId, agentId, webhookId]));
  }

  async insertCommunication(row: CommunicationRecord): Promise<void> {
    await run(
      this.db,
      `INSERT INTO communications (task_id, seq, message_id, direction, agent_id, response, final, in_reply_to,
         webhook_id, turn_state, turn_updated_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        row.taskId, row.seq, row.messageId, row.direction, row.agentId, row.response, row.final, row.inReplyTo,
        row.webhookId, row.turnState, row.turnUpdatedAt, row.createdAt,
      ],
    );
  }

  async appendMessage(row: CommunicationRecord, patch: TaskPatch, turn?: TurnChange): Promise<number> {
    // One statement: the insert and the turn's update run as data-modifying CTEs of the task's update.
    const { sets, values } = setClause('tasks', patch);
    sets.push('version = version + 1');
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    const taskId = param(row.taskId);
    const inserted = [
      taskId, param(row.seq), param(row.messageId), param(row.direction), param(row.agentId), param(row.response),
      param(row.final), param(row.inReplyTo), param(row.webhookId), param(row.turnState), param(row.turnUpdatedAt),
      param(row.createdAt),
    ].join(', ');
    const turnUpdate = turn
      ? `, turn AS (UPDATE communications SET turn_state = ${param(turn.state)}, turn_updated_at = ${param(turn.at)}
           WHERE task_id = ${taskId} AND message_id = ${param(turn.messageId)})`
      : '';
    const updated = await first(
      this.db,
      `WITH inserted AS (
         INSERT INTO communications (task_id, seq, message_id, direction, agent_id, response, final, in_reply_to,
           webhook_id, turn_state, turn_updated_at, created_at)
         VALUES (${inserted}))${turnUpdate}
       UPDATE tasks SET ${sets.join(', ')} WHERE id = ${taskId} RETURNING version`,
      values,
    );
    return updated ? Number(updated.version) : 0;
  }

  async lockSession(sessionHash: string): Promise<void> {
    await run(this.db, 'SELECT pg_advisory_xact_lock(hashtext($1))', [`session:${sessionHash}`]);
  }

  async findUserMessageInSession(sessionHash: string, messageId: string): Promise<CommunicationRecord | null> {
    const row = await first(
      this.db,
      `SELECT c.* FROM communications c JOIN tasks t ON t.id = c.task_id
       WHERE c.message_id = $1 AND c.direction = 'user' AND t.session_hash = $2 LIMIT 1`,
      [messageId, sessionHash],
    );
    return row ? toCommunication(row) : null;
  }

  async latestPendingTurn(taskId: string): Promise<CommunicationRecord | null> {
    const row = await first(
      this.db,
      `SELECT * FROM communications WHERE task_id = $1 AND direction = 'user' AND ${PENDING_TURN}
       ORDER BY seq DESC LIMIT 1`,
      [taskId],
    );
    return row ? toCommunication(row) : null;
  }

  async latestTurn(taskId: string): Promise<CommunicationRecord | null> {
    const row = await first(
      this.db,
      `SELECT * FROM communications WHERE task_id = $1 AND direction = 'user' ORDER BY seq DESC LIMIT 1`,
      [taskId],
    );
    return row ? toCommunication(row) : null;
  }

  async latestTurns(taskId: string): Promise<{ latest: CommunicationRecord | null; pending: CommunicationRecord | null }> {
    const rows = await run(
      this.db,
      `(SELECT 'latest' AS which, * FROM communications WHERE task_id = $1 AND direction = 'user' ORDER BY seq DESC LIMIT 1)
       UNION ALL
       (SELECT 'pending' AS which, * FROM communications WHERE task_id = $1 AND direction = 'user' AND ${PENDING_TURN}
        ORDER BY seq DESC LIMIT 1)`,
      [taskId],
    );
    const latest = rows.find((r) => r.which === 'latest');
    const pending = rows.find((r) => r.which === 'pending');
    return { latest: latest ? toCommunication(latest) : null, pending: pending ? toCommunication(pending) : null };
  }

  async setTurnState(taskId: string, messageId: string, state: TurnState, at: number): Promise<void> {
    await run(
      this.db,
      'UPDATE communications SET turn_state = $1, turn_updated_at = $2 WHERE task_id = $3 AND message_id = $4',
      [state, at, taskId, messageId],
    );
  }

  async listStaleTurns(before: number, limit: number): Promise<CommunicationRecord[]> {
    const rows = await run(
      this.db,
      `SELECT * FROM communications WHERE ${PENDING_TURN} AND created_at < $1 ORDER BY created_at, task_id, seq LIMIT $2`,
      [before, limit],
    );
    return rows.map(toCommunication);
  }

  async insertDelivery(row: DeliveryRecord): Promise<void> {
    await run(
      this.db,
      `INSERT INTO deliveries (id, task_id, agent_id, message_id, event_type, payload, mode, state, attempts,
         next_attempt_at, lease_owner, lease_until, last_error, last_status, created_at, updated_at, delivered_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        row.id, row.taskId, row.agentId, row.messageId, row.eventType, row.payload, row.mode, row.state, row.attempts,
        row.nextAttemptAt, row.leaseOwner, row.leaseUntil, row.lastError, row.lastStatus, row.createdAt,
        row.updatedAt, row.deliveredAt,
      ],
    );
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const row = await first(this.db, 'SELECT * FROM deliveries WHERE id = $1', [id]);
    return row ? toDelivery(row) : null;
  }

  async updateDelivery(id: string, patch: DeliveryPatch): Promise<void> {
    const { sets, values } = setClause('deliveries', patch);
    values.push(id);
    await run(this.db, `UPDATE deliveries SET ${sets.join(', ')} WHERE id = $${values.length}`, values);
  }

  async listPendingDeliveriesForMessage(taskId: string, messageId: string): Promise<DeliveryRecord[]> {
    const rows = await run(
      this.db,
      `SELECT * FROM deliveries WHERE task_id = $1 AND message_id = $2 AND state = 'pending' ORDER BY created_at, id`,
      [taskId, messageId],
    );
    return rows.map(toDelivery);
  }
}
