/**
 * Errors a store throws that callers must tell apart. The HTTP layer turns StoreUnavailableError
 * into 503 with Retry-After, never a false 2xx.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A unique constraint was violated (for example a repeated message ID racing another writer). */
export class UniqueViolationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UniqueViolationError';
  }
}
