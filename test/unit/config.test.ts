// Configuration: defaults, parsing, and start-up errors that name the variable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseDurationList } from '../../src/config.js';

describe('loadConfig', () => {
  it('has safe defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.database, { kind: 'sqlite', path: './data/webhook-chat.db' });
    assert.equal(config.sqliteSynchronous, 'FULL');
    assert.equal(config.enableTestEndpoint, false);
    assert.equal(config.demo, false);
    assert.equal(config.adminToken, null);
    assert.deepEqual(config.deliveryRetrySchedule, [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000]);
    assert.equal(config.turnTimeoutMs, 600_000);
    assert.equal(config.stillWaitingMs, 30_000);
    assert.ok(Object.isFrozen(config));
  });

  it('parses database URLs', () => {
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database, { kind: 'sqlite', path: ':memory:' });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).database, { kind: 'sqlite', path: '/tmp/x.db' });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db' }).database, { kind: 'postgres', url: 'postgres://u@h:5432/db' });
  });

  it('reads STILL_WAITING_MS', () => {
    assert.equal(loadConfig({ STILL_WAITING_MS: '2000' }).stillWaitingMs, 2000);
  });

  it('lets the environment override the caller’s defaults', () => {
    assert.equal(loadConfig({}, { DEMO: '1' }).demo, true);
    assert.equal(loadConfig({ DEMO: '0' }, { DEMO: '1' }).demo, false);
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ DEMO: 'maybe' }, /DEMO/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN/],
    [{ PUBLIC_URL: 'not a url' }, /PUBLIC_URL/],
    [{ SQLITE_SYNCHRONOUS: 'OFF' }, /SQLITE_SYNCHRONOUS/],
    [{ DELIVERY_RETRY_SCHEDULE: '5s,soon' }, /DELIVERY_RETRY_SCHEDULE/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ STILL_WAITING_MS: 'soon' }, /STILL_WAITING_MS/],
    [{ STILL_WAITING_MS: '10' }, /STILL_WAITING_MS/],
  ];
  for (const [env, pattern] of bad) {
    it(`refuses ${JSON.stringify(env)} naming the variable`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && pattern.test(error.message));
    });
  }

  it('parses duration lists', () => {
    assert.deepEqual(parseDurationList('500ms, 5s,1m,2h,1d'), [500, 5000, 60_000, 7_200_000, 86_400_000]);
  });
});
