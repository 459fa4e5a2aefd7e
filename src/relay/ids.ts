/** Identifiers and credentials. Everything unguessable comes from node:crypto. */
import { createHash, randomBytes } from 'node:crypto';

/** `<13-digit ms timestamp>_<128 random bits as hex>`: sorts by time, cannot be guessed. */
function timeSortable(prefix: string): string {
  return `${prefix}_${String(Date.now()).padStart(13, '0')}_${randomBytes(16).toString('hex')}`;
}

/** The spec's `task_…` shape, with 128 bits of randomness. */
export const newTaskId = (): string => timeSortable('task');
export const newMessageId = (): string => timeSortable('msg');
/** Delivery IDs double as the Standard Webhooks `webhook-id`. */
export const newDeliveryId = (): string => timeSortable('dlv');
export const newAgentId = (): string => `agt_${randomBytes(8).toString('hex')}`;

/** A bearer token for an agent. Only its hash is stored. */
export const newAgentToken = (): string => `wct_${randomBytes(32).toString('base64url')}`;
/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
/** A browser session: 256 random bits in an HttpOnly cookie; only its hash is stored. */
export const newSessionToken = (): string => randomBytes(32).toString('base64url');

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
