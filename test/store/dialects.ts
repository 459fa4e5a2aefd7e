/**
 * The databases every store test runs against, kysely-style: one suite, real databases, no mocks.
 *
 *   for (const dialect of DIALECTS) describe(dialect.name, { skip: dialect.skip }, () => { … })
 *
 * Each test gets an empty database of its own (a fresh SQLite file, or a fresh schema on one
 * throwaway PostgreSQL server per test file), and everything it opens is closed after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres.js';

export interface Fresh {
  /** The first store on the new database, already migrated unless asked otherwise. */
  store: Store;
  /** Another store on the same database (a second instance, or a reopen after close). Not migrated. */
  open(): Store;
}

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** The `skip` option for the suite: false, or why this database cannot run here. */
  readonly skip: string | false;
  /** Call in `before`: starts what the dialect needs. */
  setup(): Promise<void>;
  /** Call in `after`. */
  teardown(): Promise<void>;
  /** An empty database for one test; closed with the test. */
  fresh(t: TestContext, options?: { migrate?: boolean }): Promise<Fresh>;
  /** The PostgreSQL server, for outage tests; null for SQLite. */
  server(): PostgresServer | null;
}

/** Closes every store a test opened, then runs `last` (removing files), once the test is over. */
function tracker(t: TestContext, last: () => void = () => undefined): (s: Store) => Store {
  const opened: Store[] = [];
  t.after(async () => {
    for (const s of opened) await s.close();
    last();
  });
  return (s) => {
    opened.push(s);
    return s;
  };
}

const sqlite: Dialect = {
  name: 'sqlite',
  skip: false,
  async setup() {},
  async teardown() {},
  async fresh(t, options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-chat-sqlite-'));
    const track = tracker(t, () => rmSync(dir, { recursive: true, force: true }));
    const open = (): Store => track(new SqliteStore({ path: join(dir, 'store.db'), synchronous: 'NORMAL' }));
    const store = open();
    if (options.migrate !== false) await store.migrate();
    return { store, open };
  },
  server: () => null,
};

function postgresDialect(): Dialect {
  let server: PostgresServer | null = null;
  return {
    name: 'postgres',
    skip: postgresSkip(),
    async setup() {
      server = await startPostgres();
    },
    async teardown() {
      await server?.stop();
      server = null;
    },
    async fresh(t, options = {}) {
      if (!server) throw new Error('postgres dialect used before setup()');
      const url = await server.createSchema();
      const track = tracker(t);
      const open = (): Store => track(new PostgresStore({ url, poolSize: 5 }));
      const store = open();
      if (options.migrate !== false) await store.migrate();
      return { store, open };
    },
    server: () => server,
  };
}

export const DIALECTS: readonly Dialect[] = [sqlite, postgresDialect()];
