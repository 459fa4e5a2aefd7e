/**
 * Sends one delivery to an agent endpoint: JSON body, Standard Webhooks headers signed with the
 * agent's secret by the `standardwebhooks` package. The webhook-id is the delivery ID, the same on
 * every retry, so the agent can de-duplicate.
 */
import { Webhook } from 'standardwebhooks';
import type { DeliveryRecord } from '../store/records.js';

export type SendResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'gone'; status: number }
  | { kind: 'failed'; status: number | null; error: string; retryAfter: string | null };

export function signedHeaders(secret: string, id: string, body: string, at: Date): Record<string, string> {
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    'content-type': 'application/json',
    'user-agent': 'webhook-chat-delivery/1',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

export async function sendDelivery(
  delivery: DeliveryRecord,
  endpointUrl: string,
  secret: string,
  timeoutMs: number,
): Promise<SendResult> {
  const headers = signedHeaders(secret, delivery.id, delivery.payload, new Date());
  try {
    const response = await fetch(endpointUrl, {
      method: 'POST',
      headers,
      body: delivery.payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body is not needed; read it so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { kind: 'delivered', status: response.status };
    if (response.status === 410) return { kind: 'gone', status: 410 };
    return {
      kind: 'failed',
      status: response.status,
      error: `HTTP ${response.status}`,
      retryAfter: response.status === 429 || response.status === 503 ? response.headers.get('retry-after') : null,
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const message =
      name === 'TimeoutError' || name === 'AbortError'
        ? `timed out after ${timeoutMs} ms`
        : `${error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)}`;
    return { kind: 'failed', status: null, error: message.slice(0, 500), retryAfter: null };
  }
}
