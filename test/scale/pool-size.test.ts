/**
 * PG_POOL_SIZE bounds the connections an instance's store opens, however many requests arrive at
 * once: a server process under a burst of concurrent webhooks and reads, watched from
 * pg_stat_activity. A first instance with a larger pool takes the same burst, to show that the
 * burst does open more connections than the small pool allows (so the bound is really tested).
 *
 * Counting: every connection of an instance names itself in application_name.
 *   webhook-chat          the store's pool: bounded by PG_POOL_SIZE (what this test is about)
 *   webhook-chat-listen   the broker's LISTEN connection: always exactly one
 *   webhook-chat-publish  the broker's NOTIFY pool: at most one
 *   webhook-chat-migrate  the migration connection: only while the instance starts, closed before
 *                         it listens
 * So an instance holds at most PG_POOL_SIZE + 2 connections once it runs, as docs/scaling.md says.
 * Only one instance runs at a time here, so the names alone tell whose connections they are.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { eventually } from '../support/client.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres.js';
import { startServer, type TestServer } from '../support/server.js';
import { Browser } from './cluster.js';

const TASKS = 20;
const ROUNDS = 8;

type Counts = Record<string, number>;

async function connectionsByName(client: pg.Client): Promise<Counts> {
  const { rows } = await client.query<{ name: string; n: number }>(
    `SELECT application_name AS name, COUNT(*)::int AS n FROM pg_stat_activity
     WHERE application_name LIKE 'webhook-chat%' GROUP BY application_name`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}

/**
 * Sends TASKS × ROUNDS webhooks (TASKS at a time, each with a read beside it) while sampling
 * pg_stat_activity; returns the most connections seen under each name.
 */
async function burst(server: TestServer, observer: pg.Client): Promise<Counts> {
  const agent = await server.createAgent({ name: 'Busy' });
  const browser = new Browser();
  const page = browser.on(server.url);
  const taskIds: string[] = [];
  for (let i = 0; i < TASKS; i++) taskIds.push((await page.send(agent.id, `task ${i}`)).body.taskId);

  const most: Counts = {};
  let running = true;
  const sampling = (async () => {
    while (running) {
      for (const [name, n] of Object.entries(await connectionsByName(observer))) most[name] = Math.max(most[name] ?? 0, n);
    }
  })();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all(
        taskIds.flatMap((taskId) => [
          server.webhook({ taskId, response: `round ${round}`, final: false }, agent.token).then((r) => r.status),
          page.responses(taskId).then((r) => r.status),
        ]),
      );
      // A small pool makes requests queue for a connection, never fail.
      assert.deepEqual(new Set(answers), new Set([200]), `round ${round}: ${answers.join(',')}`);
    }
  } finally {
    running = false;
    await sampling;
  }
  return most;
}

describe('PG_POOL_SIZE under concurrent load', { skip: postgresSkip(), timeout: 120_000 }, () => {
  let postgres: PostgresServer;
  let observer: pg.Client;
  const servers: TestServer[] = [];
  const env = { RATE_LIMIT_AGENT_PER_MINUTE: '10000000', RATE_LIMIT_SESSION_PER_MINUTE: '10000000' };

  before(async () => {
    postgres = await startPostgres();
    observer = new pg.Client({ connectionString: postgres.url, application_name: 'pool-size-observer' });
    await observer.connect();
  });
  after(async () => {
    for (const server of servers) await server.stop();
    await observer?.end();
    await postgres?.stop();
  });

  async function start(poolSize: number): Promise<TestServer> {
    const server = await startServer({ process: true, env: { ...env, DATABASE_URL: await postgres.createDatabase(), PG_POOL_SIZE: String(poolSize) } });
    servers.push(server);
    return server;
  }

  test('with a pool of 6, the burst opens more than 2 store connections', async () => {
    const server = await start(6);
    const most = await burst(server, observer);
    // Stopping closes every connection, so the next instance's are the only ones left.
    await server.stop();
    await eventually(async () => assert.deepEqual(await connectionsByName(observer), {}, 'connections left after stop'));
    assert.ok((most['webhook-chat'] ?? 0) > 2, `the burst opened only ${most['webhook-chat']} store connections: too light to test a pool of 2`);
    assert.ok((most['webhook-chat'] ?? 0) <= 6, `a pool of 6 opened ${most['webhook-chat']}`);
  });

  test('with PG_POOL_SIZE=2, the same burst never opens more than 2 store connections', async () => {
    const server = await start(2);
    const most = await burst(server, observer);
    assert.equal(most['webhook-chat'], 2, `store connections: ${JSON.stringify(most)}`);
    assert.equal(most['webhook-chat-listen'], 1, 'one LISTEN connection');
    assert.ok((most['webhook-chat-publish'] ?? 0) <= 1, 'at most one NOTIFY connection');
    // The migration connection was closed before the server started listening.
    assert.equal(most['webhook-chat-migrate'], undefined, 'no migration connection while serving');
  });
});
