/**
 * Seeds a SQLite database through the store itself (so the rows are exactly what the server
 * writes, and the schema is whatever the migrations make), before the server is started on it.
 * Large seeds go in batches of one transaction each.
 */
import { randomBytes } from 'node:crypto';
import type { TaskMessageWebhook } from '../../src/protocol/index.js';
import { newAgentToken, newDeliveryId, newMessageId, newSigningSecret, newTaskId, sha256 } from '../../src/relay/ids.js';
import { newDelivery } from '../../src/relay/tasks.js';
import type { AgentRecord, CommunicationRecord, DeliveryRecord, TaskRecord } from '../../src/store/records.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoreTx } from '../../src/store/store.js';
import type { BenchTask } from './api.js';

export interface SeededAgent {
  id: string;
  token: string;
  signingSecret: string;
  record: AgentRecord;
}

export async function openSeedStore(path: string): Promise<SqliteStore> {
  const store = new SqliteStore({ path, synchronous: 'NORMAL' });
  await store.migrate();
  return store;
}

export async function seedAgent(store: SqliteStore, input: { name: string; endpointUrl?: string }): Promise<SeededAgent> {
  const token = newAgentToken();
  const signingSecret = newSigningSecret();
  const now = Date.now();
  const record: AgentRecord = {
    id: `agt_${randomBytes(8).toString('hex')}`,
    name: input.name,
    description: null,
    endpointUrl: input.endpointUrl ?? null,
    endpointDisabledAt: null,
    tokenHash: sha256(token),
    signingSecret,
    previousTokenHash: null,
    previousSigningSecret: null,
    previousValidUntil: null,
    createdAt: now,
    updatedAt: now,
  };
  await store.insertAgent(record);
  return { id: record.id, token, signingSecret, record };
}

/** A browser session cookie and the hash the server keeps of it. */
export function newSession(): { cookie: string; hash: string } {
  const value = randomBytes(32).toString('base64url');
  return { cookie: `wc_session=${value}`, hash: sha256(value) };
}

/** What assign-user-task writes for a new task: the task, the user's message, its delivery. */
async function openTask(tx: StoreTx, agent: AgentRecord, sessionHash: string, responseUrl: string, now: number): Promise<TaskRecord> {
  const task: TaskRecord = {
    id: newTaskId(),
    agentId: agent.id,
    sessionHash,
    state: 'queued',
    lastSeq: 1,
    version: 0,
    status: null,
    statusText: null,
    statusExpiresAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const messageId = newMessageId();
  await tx.insertTask(task);
  await tx.insertCommunication({
    taskId: task.id,
    seq: 1,
    messageId,
    direction: 'user',
    agentId: agent.id,
    response: 'Hello from the bench',
    final: true,
    inReplyTo: null,
    webhookId: null,
    turnState: 'queued',
    turnUpdatedAt: now,
    createdAt: now,
  });
  const payload: TaskMessageWebhook = {
    type: 'task.message',
    taskId: task.id,
    messageId,
    agentId: agent.id,
    message: 'Hello from the bench',
    createdAt: new Date(now).toISOString(),
    responseUrl,
  };
  await tx.insertDelivery(newDelivery(agent, task.id, messageId, payload, 'task.message', now));
  return task;
}

/** `count` tasks, each with its own browser session and one queued user message. */
export async function seedTasks(store: SqliteStore, agent: SeededAgent, count: number, responseUrl = 'http://127.0.0.1/api/communications/webhook-response'): Promise<BenchTask[]> {
  const tasks: BenchTask[] = [];
  const batch = 2000;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const made = await store.transaction(async (tx) => {
      const out: BenchTask[] = [];
      const now = Date.now();
      for (let i = 0; i < n; i++) {
        const session = newSession();
        const task = await openTask(tx, agent.record, session.hash, responseUrl, now);
        out.push({ taskId: task.id, cookie: session.cookie });
      }
      return out;
    });
    tasks.push(...made);
  }
  return tasks;
}

/**
 * One long conversation: `rows` communications in one task, alternating user message (answered,
 * with its delivered delivery) and agent answer, as a chat that has run for a long time.
 */
export async function seedConversation(store: SqliteStore, agent: SeededAgent, rows: number, onProgress?: (done: number) => void): Promise<BenchTask & { lastSeq: number }> {
  const session = newSession();
  const t0 = Date.now() - rows * 1000;
  const taskId = newTaskId();
  await store.transaction(async (tx) => {
    await tx.insertTask({
      id: taskId,
      agentId: agent.id,
      sessionHash: session.hash,
      state: 'answered',
      lastSeq: 0,
      version: 0,
      status: null,
      statusText: null,
      statusExpiresAt: null,
      createdAt: t0,
      updatedAt: t0,
    });
  });
  const batch = 20_000;
  let lastUser: CommunicationRecord | null = null;
  for (let start = 1; start <= rows; start += batch) {
    const end = Math.min(rows, start + batch - 1);
    await store.transaction(async (tx) => {
      for (let seq = start; seq <= end; seq++) {
        const at = t0 + seq * 1000;
        const user = seq % 2 === 1;
        const row: CommunicationRecord = {
          taskId,
          seq,
          messageId: newMessageId(),
          direction: user ? 'user' : 'agent',
          agentId: agent.id,
          response: user ? `Question number ${seq} from the person` : `Answer number ${seq}: ${'lorem ipsum '.repeat(8)}`,
          final: true,
          inReplyTo: user ? null : (lastUser?.messageId ?? null),
          webhookId: null,
          turnState: user ? 'answered' : null,
          turnUpdatedAt: user ? at : null,
          createdAt: at,
        };
        await tx.insertCommunication(row);
        if (user) {
          lastUser = row;
          const delivery: DeliveryRecord = {
            id: newDeliveryId(),
            taskId,
            agentId: agent.id,
            messageId: row.messageId,
            eventType: 'task.message',
            payload: JSON.stringify({ type: 'task.message', taskId, messageId: row.messageId, message: row.response }),
            mode: 'pull',
            state: 'delivered',
            attempts: 1,
            nextAttemptAt: at,
            leaseOwner: null,
            leaseUntil: null,
            lastError: null,
            lastStatus: 200,
            createdAt: at,
            updatedAt: at,
            deliveredAt: at,
          };
          await tx.insertDelivery(delivery);
        }
      }
      await tx.updateTask(taskId, { lastSeq: end, updatedAt: t0 + end * 1000 });
    });
    onProgress?.(end);
  }
  return { taskId, cookie: session.cookie, lastSeq: rows };
}
