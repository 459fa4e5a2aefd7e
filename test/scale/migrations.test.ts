/**
 * Three instances started at the same moment on an empty database: the migrations run once, under
 * the advisory lock, with no error anywhere (not even one PostgreSQL logged and we retried), and
 * all three then serve one shared state. Restarting all three at once on the migrated database is
 * just as quiet.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { eventually } from '../support/client.js';
import { postgresSkip } from '../support/postgres.js';
import type { TestServer } from '../support/server.js';
import { Browser, startCluster, type Cluster } from './cluster.js';

async function appliedVersions(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    return rows.map((r) => r.version);
  } finally {
    await client.end();
  }
}

/** ERROR and FATAL lines PostgreSQL logged, minus the shutdowns we caused ourselves. */
function serverErrors(cluster: Cluster): string[] {
  return readFileSync(join(cluster.pg.dir, 'log'), 'utf8')
    .split('\n')
    .filter((line) => /\b(ERROR|FATAL|PANIC):/.test(line))
    .filter((line) => !/terminating connection due to administrator command/.test(line));
}

describe('several instances starting at once on a fresh database', { skip: postgresSkip(), timeout: 120_000 }, () => {
  let cluster: Cluster;
  let instances: TestServer[];

  before(async () => {
    // startCluster starts all three together, so their migrations race.
    cluster = await startCluster(3);
    instances = cluster.instances;
  });
  after(() => cluster?.stop());

  test('all three start, every migration is applied exactly once, PostgreSQL logged no error', async () => {
    assert.equal(instances.length, 3);
    for (const server of instances) {
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready', database: 'postgres' });
    }
    assert.deepEqual(await appliedVersions(cluster.databaseUrl), POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    assert.deepEqual(serverErrors(cluster), []);
  });

  test('the three instances share one state', async () => {
    const [first, second, third] = instances as [TestServer, TestServer, TestServer];
    const agent = await first.createAgent({ name: 'Shared' });
    const browser = new Browser();
    const sent = await browser.on(second.url).send(agent.id, 'hello from the second instance');
    assert.equal(sent.status, 201);
    const answer = await third.webhook({ taskId: sent.body.taskId, response: 'answered through the third' }, agent.token);
    assert.equal(answer.status, 200);
    const read = await browser.on(first.url).responses(sent.body.taskId);
    assert.deepEqual(read.body.responses.map((r) => r.response), ['answered through the third']);
    assert.equal(read.body.task.state, 'answered');
  });

  test('restarting all three at once on the migrated database changes nothing', async () => {
    const agentsBefore = await (await fetch(`${instances[0]!.url}/api/agents`)).json();
    await Promise.all(instances.map((server) => server.restart()));
    for (const server of instances) {
      await eventually(async () => assert.equal((await fetch(`${server.url}/readyz`)).status, 200));
      assert.deepEqual(await (await fetch(`${server.url}/api/agents`)).json(), agentsBefore);
    }
    assert.deepEqual(await appliedVersions(cluster.databaseUrl), POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    assert.deepEqual(serverErrors(cluster), []);
  });
});
