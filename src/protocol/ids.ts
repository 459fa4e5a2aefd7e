/** Shapes of the identifiers that cross the wire. Kept here so the page, SDK and server agree. */

/** A task ID: `task_<ms since epoch>_<32 hex chars of crypto randomness>`; sorts by creation time. */
export const TASK_ID_PATTERN = '^task_[0-9]{13}_[0-9a-f]{32}$';

/**
 * A message ID chosen by a client or agent (for idempotency) or by the server (`msg_…`).
 * Letters, digits and `_ . : -`, at most 128 characters.
 */
export const MESSAGE_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,128}$';

/** An agent ID: lower-case letters, digits, `_` and `-`, at most 64 characters. */
export const AGENT_ID_PATTERN = '^[a-z0-9_-]{1,64}$';
