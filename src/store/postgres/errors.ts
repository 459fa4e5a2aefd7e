/**
 * Turns pg driver errors into the store's own errors, so callers never see driver types:
 * an unreachable database becomes StoreUnavailableError (HTTP 503), a unique violation
 * UniqueViolationError. Anything else passes through unchanged.
 */
import { StoreUnavailableError, UniqueViolationError } from '../store-errors.js';

/** Socket-level failures: the server is down, restarting, or the connection was cut. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs meaning "this server cannot serve you right now": admin/crash shutdown (57P01/57P02),
 * starting up or shutting down (57P03), too many connections (53300), and class 08 (connection
 * exception).
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages pg and pg-pool use for a dead connection or a pool that could not connect in time. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection ended unexpectedly',
  // query_timeout: the server stopped answering on an open connection.
  'Query read timeout',
];

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const code = codeOf(error);
  if (code !== undefined && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  return UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}

/** Deadlock or serialization failure: the whole transaction may simply be run again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40P01' || code === '40001';
}

export function translateError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || error instanceof UniqueViolationError) return error;
  if (isUnavailable(error)) {
    const detail = error instanceof Error ? error.message : String(error);
    return new StoreUnavailableError(`PostgreSQL is unavailable: ${detail}`, { cause: error });
  }
  if (codeOf(error) === '23505') {
    const constraint = (error as { constraint?: unknown }).constraint;
    const name = typeof constraint === 'string' ? ` (${constraint})` : '';
    return new UniqueViolationError(`Unique constraint violated${name}`, { cause: error });
  }
  return error;
}
