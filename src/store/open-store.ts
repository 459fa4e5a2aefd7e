/** Picks the store implementation the configuration names. */
import type { Config } from '../config.js';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export async function openStore(config: Config): Promise<Store> {
  if (config.database.kind === 'postgres') {
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    const store: Store = new PostgresStore({ url: config.database.url, poolSize: config.pgPoolSize });
    await store.migrate();
    return store;
  }
  const store = new SqliteStore({ path: config.database.path, synchronous: config.sqliteSynchronous });
  await store.migrate();
  return store;
}
