/**
 * A client-chosen message ID (`msg_` + 32 hex chars). Sending the same ID twice stores the
 * message once, so retries and double-sends are safe. getRandomValues, unlike randomUUID,
 * also works on plain-HTTP origins that are not "secure contexts".
 */
export function newMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return `msg_${hex}`;
}
