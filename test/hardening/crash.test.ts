// Crash safety: a webhook that got a 2xx survives a SIGKILL at any moment, and is stored once.
//
// A child-process server on a SQLite file is killed (SIGKILL, no shutdown code runs) at a random
// moment while several clients post agent answers to several tasks. After a restart on the same
// file, every acknowledged answer must be there exactly once. Answers whose fate the client never
// learned (the connection died) are retried with the same messageId: each is then stored once too.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { openReadOnly, prng, runLength, sqlitePath } from './helpers.js';

/** CRASH_ITERATIONS lengthens the run; the proof needs at least 5 crashes. */
const ITERATIONS = runLength(process.env.CRASH_ITERATIONS, 6, 5);
const SENDERS = 8;
const TASKS = 4;
const SEED = Number(process.env.HARDENING_SEED ?? 20261125);

interface Sent {
  taskId: string;
  messageId: string;
  response: string;
}

describe('crash safety under SIGKILL', () => {
  let server: TestServer;
  let agent: AgentCredentials;
  const taskIds: string[] = [];
  const random = prng(SEED);

  before(async () => {
    server = await startServer({
      process: true,
      keepData: true,
      env: { RATE_LIMIT_AGENT_PER_MINUTE: '10000000', RATE_LIMIT_SESSION_PER_MINUTE: '10000000' },
    });
    agent = await server.createAgent({ name: 'Crash agent' });
    const page = new Session(server.url);
    for (let i = 0; i < TASKS; i++) {
      const sent = await page.send(agent.id, `crash test task ${i}`);
      assert.equal(sent.status, 201);
      taskIds.push(sent.body.taskId);
    }
  });
  after(async () => {
    const dir = dirname(sqlitePath(server.databaseUrl));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every agent answer of a task, read back through get-responses with the agent's token. */
  async function storedAnswers(taskId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor = 0;
    for (;;) {
      const response = await fetch(`${server.url}/api/communications/get-responses?taskId=${taskId}&after=${cursor}`, {
        headers: { authorization: `Bearer ${agent.token}` },
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { responses: Array<{ messageId: string }>; cursor: number };
      if (body.responses.length === 0) return ids;
      ids.push(...body.responses.map((r) => r.messageId));
      cursor = body.cursor;
    }
  }

  it(`keeps every acknowledged webhook exactly once across ${ITERATIONS} SIGKILLs`, async (t) => {
    const acknowledged: Sent[] = [];
    let unknownTotal = 0;
    let unknownFoundStored = 0;

    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const unknown: Sent[] = [];
      let killed = false;
      let firstAck: () => void = () => undefined;
      const warmedUp = new Promise<void>((resolve) => (firstAck = resolve));

      const sender = async (lane: number): Promise<void> => {
        for (let n = 0; !killed; n++) {
          const sent: Sent = {
            taskId: taskIds[(lane + n) % TASKS] as string,
            messageId: `crash-${iteration}-${lane}-${n}`,
            response: `answer ${iteration}/${lane}/${n}`,
          };
          let status: number;
          let body: { duplicate?: boolean };
          try {
            const response = await server.webhook({ taskId: sent.taskId, response: sent.response, messageId: sent.messageId, final: n % 3 === 0 }, agent.token);
            status = response.status;
            body = (await response.json()) as { duplicate?: boolean };
          } catch (error) {
            if (!killed) throw error;
            // The connection died with the server: the client cannot know whether it was stored.
            unknown.push(sent);
            return;
          }
          assert.equal(status, 200, `webhook answered ${status}`);
          assert.equal(body.duplicate, false);
          acknowledged.push(sent);
          firstAck();
        }
      };
      const senders = Array.from({ length: SENDERS }, (_, lane) => sender(lane));
      await warmedUp;
      const delay = 20 + Math.floor(random() * 400);
      await new Promise((resolve) => setTimeout(resolve, delay));
      killed = true;
      await server.kill();
      await Promise.all(senders);
      await server.restart();

      // Every acknowledged answer so far is present exactly once.
      const stored = new Map<string, number>();
      for (const taskId of taskIds) for (const id of await storedAnswers(taskId)) stored.set(id, (stored.get(id) ?? 0) + 1);
      for (const sent of acknowledged) assert.equal(stored.get(sent.messageId), 1, `acknowledged ${sent.messageId} is stored ${stored.get(sent.messageId) ?? 0} times`);
      for (const [id, count] of stored) assert.equal(count, 1, `${id} is stored ${count} times`);

      // A client retrying the answers it never heard back about stores each one once.
      for (const sent of unknown) {
        const wasStored = stored.has(sent.messageId);
        const response = await server.webhook({ taskId: sent.taskId, response: sent.response, messageId: sent.messageId }, agent.token);
        const body = (await response.json()) as { duplicate: boolean };
        assert.equal(response.status, 200);
        assert.equal(body.duplicate, wasStored, `retry of ${sent.messageId}: duplicate should be ${wasStored}`);
        if (wasStored) unknownFoundStored++;
        acknowledged.push(sent);
      }
      unknownTotal += unknown.length;
      t.diagnostic(`iteration ${iteration + 1}: killed after ${delay} ms; ${acknowledged.length} acknowledged so far, ${unknown.length} in flight at the kill`);
    }

    // Finally look at the file itself, with the server stopped.
    await server.stop();
    const db = openReadOnly(server.databaseUrl);
    try {
      assert.equal((db.pragma('integrity_check', { simple: true }) as string), 'ok');
      const count = db.prepare("SELECT COUNT(*) AS n FROM communications WHERE task_id = ? AND message_id = ? AND direction = 'agent'");
      for (const sent of acknowledged) assert.equal((count.get(sent.taskId, sent.messageId) as { n: number }).n, 1, sent.messageId);
      const agentRows = (db.prepare("SELECT COUNT(*) AS n FROM communications WHERE direction = 'agent'").get() as { n: number }).n;
      assert.equal(agentRows, acknowledged.length, 'no answer is stored that no client sent');
      // Each task's sequence has no gap and ends at last_seq.
      for (const taskId of taskIds) {
        const seqs = (db.prepare('SELECT seq FROM communications WHERE task_id = ? ORDER BY seq').all(taskId) as Array<{ seq: number }>).map((r) => r.seq);
        assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `task ${taskId} has gaps in its sequence`);
        const task = db.prepare('SELECT last_seq FROM tasks WHERE id = ?').get(taskId) as { last_seq: number };
        assert.equal(task.last_seq, seqs.length);
      }
    } finally {
      db.close();
    }
    t.diagnostic(
      `${ITERATIONS} SIGKILLs (seed ${SEED}): ${acknowledged.length - unknownTotal} webhooks acknowledged before a kill, all present exactly once; ` +
        `${unknownTotal} were in flight at a kill (${unknownFoundStored} had been committed), retried and stored once`,
    );
  });
});
