/**
 * Mapping between PostgreSQL rows (snake_case, BIGINT milliseconds, BOOLEAN) and store records,
 * plus the parameterised SET clause for patches.
 */
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';

export { toAgent, toCommunication, toDelivery, toTask, type Row } from '../row-mapping.js';

/**
 * int8 (BIGINT, BIGSERIAL, COUNT(*)) arrives as a string by default, because it can exceed 2^53.
 * Our int8 values are epoch milliseconds and row counts, far below that, so they become numbers.
 * Scoped to our pools rather than set globally, so other pg users in the process are unaffected.
 */
export const PG_TYPES: CustomTypesConfig = {
  getTypeParser: (id, format) =>
    id === pg.types.builtins.INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(id, format),
};

export const PATCHABLE = {
  agents: new Set([
    'name', 'description', 'endpoint_url', 'endpoint_disabled_at', 'token_hash', 'signing_secret',
    'previous_token_hash', 'previous_signing_secret', 'previous_valid_until', 'updated_at',
  ]),
  tasks: new Set(['state', 'last_seq', 'status', 'status_text', 'status_expires_at', 'updated_at']),
  deliveries: new Set([
    'state', 'attempts', 'next_attempt_at', 'lease_owner', 'lease_until', 'last_error', 'last_status',
    'delivered_at', 'updated_at',
  ]),
} as const;

/**
 * `SET a = $1, b = $2 …` for the defined keys of `patch`; `values` holds their parameters.
 * Parameters are numbered from 1, so the caller appends its WHERE parameters after them.
 */
export function setClause(table: keyof typeof PATCHABLE, patch: object): { sets: string[]; values: unknown[] } {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const name = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (!PATCHABLE[table].has(name)) throw new Error(`${table}.${name} cannot be patched`);
    values.push(value);
    sets.push(`${name} = $${values.length}`);
  }
  return { sets, values };
}
