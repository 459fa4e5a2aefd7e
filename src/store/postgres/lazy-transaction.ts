/**
 * A transaction's connection that sends BEGIN with its first statement instead of on its own.
 * Every round trip counts on PostgreSQL (each one wakes a backend process, which waits for a CPU
 * on a busy machine), and node-pg sends one statement per round trip. The usual first statement,
 * the task lock, has one parameter, so it can go out with BEGIN as one simple query, its value
 * quoted by the driver's own escapeLiteral. Any other first statement gets BEGIN sent before it.
 */
import type { PoolClient, QueryResult } from 'pg';
import { translateError } from './errors.js';
import type { Queryable } from './query.js';
import type { Row } from './rows.js';

export class LazyTransaction implements Queryable {
  /** True once BEGIN has been sent (or is on its way). */
  begun = false;

  constructor(private readonly client: PoolClient) {}

  async query(text: string, values?: unknown[]): Promise<QueryResult<Row>> {
    if (!this.begun) {
      this.begun = true;
      await this.client.query('BEGIN');
    }
    return this.client.query<Row>(text, values);
  }

  /**
   * Runs `sql`, in which `$1` stands for `value`, as the transaction's first statement, in the same
   * round trip as BEGIN; after the first statement it is a plain query.
   */
  async first(sql: string, value: string): Promise<Row[]> {
    if (this.begun) return (await this.query(sql, [value])).rows;
    this.begun = true;
    const inlined = sql.replace('$1', this.client.escapeLiteral(value));
    try {
      const results = (await this.client.query<Row>(`BEGIN; ${inlined}`)) as unknown as Array<QueryResult<Row>>;
      return results[1]?.rows ?? [];
    } catch (error) {
      throw translateError(error);
    }
  }
}
