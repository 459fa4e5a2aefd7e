/** Signed agent webhooks, exactly as an agent using the standardwebhooks package sends them. */
import type { Webhook } from 'standardwebhooks';

export const WEBHOOK_PATH = '/api/communications/webhook-response';

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/** A `webhook-response` body for `taskId`, signed with the agent's `whsec_` secret. */
export function signedWebhook(signer: Webhook, webhookId: string, body: object, at = new Date()): SignedRequest {
  const text = JSON.stringify(body);
  return {
    body: text,
    headers: {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signer.sign(webhookId, at, text),
    },
  };
}

/** Puts a send timestamp in the answer text, so a reader in another process can compute latency. */
export const stampText = (ns: bigint, padding = ''): string => `bench t=${ns}${padding}`;

/** The send timestamp back out of an answer text, or null. */
export function readStamp(text: string): bigint | null {
  const match = /t=(\d+)/.exec(text);
  return match ? BigInt(match[1] as string) : null;
}
