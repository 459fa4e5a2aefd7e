/** Picks the store implementation the configuration names. */
import type { Config } from '../config.js';
import { timedStore, type StoreTimer } from '../observability/timed-store.js';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/**
 * `onError` hears of failures nobody awaits (an idle PostgreSQL connection dropping). With `timer`,
 * every store call is timed (Metrics.timeStore feeds database_query_duration_seconds).
 */
export async function openStore(config: Config, onError?: (error: Error) => void, timer?: StoreTimer): Promise<Store> {
  const store = await openDialect(config, onError);
  return timer ? timedStore(store, timer) : store;
}

async function openDialect(config: Config, onError?: (error: Error) => void): Promise<Store> {
  if (config.database.kind === 'postgres') {
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    const store: Store = new PostgresStore({ url: config.database.url, poolSize: config.pgPoolSize, ...(onError ? { onError } : {}) });
    await store.migrate();
    return store;
  }
  const store = new SqliteStore({ path: config.database.path, synchronous: config.sqliteSynchronous, ...(onError ? { onError } : {}) });
  await store.migrate();
  return store;
}
