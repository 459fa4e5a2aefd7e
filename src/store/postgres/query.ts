/** One statement on a pool or a checked-out client, with driver errors turned into store errors. */
import type { QueryResult } from 'pg';
import { translateError } from './errors.js';
import type { Row } from './rows.js';

/** What Pool and PoolClient have in common; the store and its transactions run SQL through it. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<QueryResult<Row>>;
}

export async function run(db: Queryable, text: string, values: unknown[] = []): Promise<Row[]> {
  try {
    return (await db.query(text, values)).rows;
  } catch (error) {
    throw translateError(error);
  }
}

/** The first row, or undefined. */
export async function first(db: Queryable, text: string, values: unknown[] = []): Promise<Row | undefined> {
  return (await run(db, text, values))[0];
}
