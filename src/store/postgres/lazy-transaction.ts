/**
 * A transaction's connection that sends BEGIN with its first statement instead of on its own, and
 * can send several statements in one round trip.
 *
 * Every round trip counts on PostgreSQL (each one wakes a backend process, which waits for a CPU on
 * a busy machine), and node-pg sends one parameterised statement per round trip. A simple query may
 * hold several statements, though, run one after another, each with its own snapshot (READ
 * COMMITTED), so a read placed after a row lock sees everything committed before the lock was
 * granted. Values are written into such a query by the driver's own escapeLiteral.
 */
import type { PoolClient, QueryResult } from 'pg';
import { translateError } from './errors.js';
import type { Queryable } from './query.js';
import type { Row } from './rows.js';

/** A value written into a simple query: text, or NULL. */
export type Literal = string | null;

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
   * Runs `statements` (in which `$n` stands for `values[n-1]`) in one round trip, with BEGIN in
   * front when the transaction has not begun yet. Returns each statement's rows.
   */
  async batch(statements: readonly string[], values: readonly Literal[]): Promise<Row[][]> {
    const literal = (n: number): string => {
      const value = values[n - 1];
      if (value === undefined) throw new Error(`no value for $${n}`);
      return value === null ? 'NULL' : this.client.escapeLiteral(value);
    };
    const sql = statements.map((s) => s.replace(/\$(\d+)/g, (_, n: string) => literal(Number(n)))).join(';\n');
    const prefix = this.begun ? '' : 'BEGIN;\n';
    this.begun = true;
    let results: Array<QueryResult<Row>>;
    try {
      const result = (await this.client.query<Row>(prefix + sql)) as unknown as QueryResult<Row> | Array<QueryResult<Row>>;
      results = Array.isArray(result) ? result : [result];
    } catch (error) {
      throw translateError(error);
    }
    return results.slice(prefix ? 1 : 0).map((r) => r.rows);
  }
}
