/** Shapes of the identifiers that cross the wire. Kept here so the page, SDK and server agree. */

/** A task ID: `task_<ms since epoch>_<32 hex chars of crypto randomness>`; sorts by creation time. */
export const TASK_ID_PATTERN = '^task_[0-9]{13}_[0-9a-f]{32}$';

/**
 * What the API accepts where a task ID is looked up: any plausible ID, such as the spec's example
 * `task_1234567890_abc123`, so one that names no task answers 404 rather than 400. Letters, digits,
 * `_` and `-`, at most 128 characters; anything else is malformed.
 */
export const TASK_ID_LOOKUP_PATTERN = '^[A-Za-z0-9_-]{1,128}$';

/**
 * A message ID chosen by a client or agent (for idempotency) or by the server (`msg_…`).
 * Letters, digits and `_ . : -`, at most 128 characters.
 */
export const MESSAGE_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,128}$';

/** An agent ID: lower-case letters, digits, `_` and `-`, at most 64 characters. */
export const AGENT_ID_PATTERN = '^[a-z0-9_-]{1,64}$';
