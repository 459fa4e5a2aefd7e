/**
 * The turn watchdog runs on every instance. A turn whose answer lands just as its timeout passes
 * ends either answered (the answer came first) or failed with the answer shown as a late, free
 * message. It is never marked failed while holding the answer that closed it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { eventually } from '../support/client.js';
import { postgresSkip } from '../support/postgres.js';
import type { TestServer } from '../support/server.js';
import { Browser, startCluster, type Cluster } from './cluster.js';

const TURN_TIMEOUT_MS = 1000;

describe('turn timeouts racing answers on two instances', { skip: postgresSkip(), timeout: 120_000 }, () => {
  let cluster: Cluster;
  let a: TestServer;
  let b: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    cluster = await startCluster(2, {
      TURN_TIMEOUT_MS: String(TURN_TIMEOUT_MS),
      RATE_LIMIT_SESSION_PER_MINUTE: '1000000',
      RATE_LIMIT_AGENT_PER_MINUTE: '1000000',
    });
    [a, b] = cluster.instances as [TestServer, TestServer];
    agent = await a.createAgent();
  });
  after(() => cluster?.stop());

  test('an answered turn is never marked failed by a watchdog that listed it just before', async () => {
    const inconsistent: string[] = [];
    let answered = 0;
    let failed = 0;
    for (let round = 0; round < 2; round++) {
      const browser = new Browser();
      await browser.on(a.url).request('GET', '/api/agents');
      // Each answer lands at a random moment around its turn's timeout, through either instance.
      const tasks = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const task = (await browser.on((i % 2 ? a : b).url).send(agent.id, `question ${i}`)).body;
          await new Promise((r) => setTimeout(r, TURN_TIMEOUT_MS * (0.6 + 0.8 * Math.random())));
          const response = await (i % 2 ? b : a).webhook({ taskId: task.taskId, response: 'the answer' }, agent.token);
          assert.equal(response.status, 200);
          return task;
        }),
      );
      for (const task of tasks) {
        const read = await eventually(async () => {
          const r = await browser.on(a.url).responses(task.taskId);
          assert.ok(['answered', 'failed'].includes(r.body.task.turns[0]?.state ?? ''), `turn of ${task.taskId} settled`);
          return r.body;
        });
        const turn = read.task.turns[0]!;
        const answer = read.responses[0];
        if (turn.state === 'answered') answered++;
        else failed++;
        // An answer that closed this turn (inReplyTo) means the turn is answered, whatever the watchdog saw.
        if (answer?.inReplyTo === turn.messageId && turn.state !== 'answered') inconsistent.push(`${task.taskId}: ${turn.state}`);
      }
    }
    console.log(`# turns answered in time: ${answered}, timed out first: ${failed}, answered but marked failed: ${inconsistent.length}`);
    assert.ok(answered > 0 && failed > 0, 'the answers really raced the timeouts');
    assert.deepEqual(inconsistent, [], 'no turn that received its answer is marked failed');
  });
});
