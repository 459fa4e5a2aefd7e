/**
 * The error catalogue: every error the API answers with has a stable code and an HTTP status.
 * Bodies are always `{ success: false, error: { code, message } }`. docs/errors.md lists them all
 * (a test keeps the two in step).
 */

export const ERRORS = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid.' },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json.' },
  BODY_TOO_LARGE: { status: 413, message: 'The body is larger than the limit.' },
  MALFORMED_REQUEST: { status: 400, message: 'The HTTP request could not be parsed.' },
  URI_TOO_LONG: { status: 414, message: 'The URL is too long.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.' },
  UNAUTHENTICATED: { status: 401, message: 'Credentials are missing or wrong.' },
  SIGNATURE_INVALID: { status: 401, message: 'The webhook signature does not verify.' },
  FORBIDDEN: { status: 403, message: 'This credential may not act on that resource.' },
  ORIGIN_REJECTED: { status: 403, message: 'Cross-site request refused.' },
  TASK_NOT_FOUND: { status: 404, message: 'No such task.' },
  AGENT_NOT_FOUND: { status: 404, message: 'No such agent.' },
  MESSAGE_NOT_FOUND: { status: 404, message: 'No such message in this task.' },
  DELIVERY_NOT_FOUND: { status: 404, message: 'No such delivery.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  AGENT_MISMATCH: { status: 409, message: 'The task belongs to another agent.' },
  AGENT_EXISTS: { status: 409, message: 'An agent with that ID already exists.' },
  TURN_CANCELED: { status: 409, message: 'The user canceled this turn; the answer was not stored.' },
  NO_PENDING_TURN: { status: 409, message: 'There is no pending turn to cancel.' },
  MESSAGE_ID_CONFLICT: { status: 409, message: 'That messageId was already used for different content.' },
  WEBHOOK_ID_CONFLICT: { status: 409, message: 'That webhook-id was already used for an answer to another task.' },
  DELIVERY_NOT_REPLAYABLE: { status: 409, message: 'Only failed deliveries can be replayed.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  TOO_MANY_STREAMS: { status: 429, message: 'Too many open streams for this session.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is temporarily unavailable; retry later.' },
  SHUTTING_DOWN: { status: 503, message: 'The server is shutting down; retry on another instance.' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error that becomes a well-formed API answer. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Seconds, sent as Retry-After. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message?: string, options?: { retryAfter?: number; cause?: unknown }) {
    super(message ?? ERRORS[code].message, { cause: options?.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.retryAfter = options?.retryAfter;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
