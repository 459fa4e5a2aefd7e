/** SQLite errors callers must tell apart, mapped to the store's own error types. */
import { UniqueViolationError } from '../store-errors.js';

export function translateSqliteError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new UniqueViolationError((error as Error).message, { cause: error });
  }
  return error;
}
