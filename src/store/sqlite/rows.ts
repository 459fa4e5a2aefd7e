/** SQLite specifics of row mapping; the dialect-agnostic mappers live in ../row-mapping.ts. */
export { column, toAgent, toCommunication, toDelivery, toTask, type Row } from '../row-mapping.js';

/** Booleans become 0/1; everything else passes through. */
export function sqlValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}
