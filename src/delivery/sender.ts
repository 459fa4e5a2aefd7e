/**
 * Sends one delivery to an agent endpoint: JSON body, Standard Webhooks headers signed with the
 * agent's secret by the `standardwebhooks` package (its HMAC computed natively: see
 * relay/standard-webhook.ts). The webhook-id is the delivery ID, the same on every retry, so the
 * agent can de-duplicate; the timestamp and signature are fresh on each try.
 */
import { StandardWebhook } from '../relay/standard-webhook.js';
import type { AgentRecord, DeliveryRecord } from '../store/records.js';
import { PostTimeoutError, type HttpPoster } from './http-post.js';

export type SendResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'gone'; status: number }
  | { kind: 'failed'; status: number | null; error: string; retryAfter: string | null };

/**
 * The Standard Webhooks headers for `body`. With several secrets the signature header carries one
 * `v1,…` signature per secret, space-separated, and a receiver accepts any that it can verify.
 */
export function signedHeaders(secrets: string | readonly string[], id: string, body: string, at: Date): Record<string, string> {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  return {
    'content-type': 'application/json',
    'user-agent': 'webhook-chat-delivery/1',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': list.map((secret) => new StandardWebhook(secret).sign(id, at, body)).join(' '),
  };
}

/**
 * The secrets to sign with: the current one, plus the previous one while a rotation's grace period
 * lasts, so an agent still configured with the old secret keeps verifying until it is redeployed.
 */
export function signingSecrets(agent: AgentRecord, now: number): string[] {
  const secrets = [agent.signingSecret];
  if (agent.previousSigningSecret && agent.previousValidUntil !== null && agent.previousValidUntil > now) {
    secrets.push(agent.previousSigningSecret);
  }
  return secrets;
}

export async function sendDelivery(
  poster: HttpPoster,
  delivery: DeliveryRecord,
  endpoint: URL,
  secrets: readonly string[],
  timeoutMs: number,
): Promise<SendResult> {
  const headers = signedHeaders(secrets, delivery.id, delivery.payload, new Date());
  try {
    const { status, retryAfter } = await poster.post(endpoint, headers, delivery.payload, timeoutMs);
    if (status >= 200 && status < 300) return { kind: 'delivered', status };
    if (status === 410) return { kind: 'gone', status };
    return {
      kind: 'failed',
      status,
      error: `HTTP ${status}`,
      retryAfter: status === 429 || status === 503 ? retryAfter : null,
    };
  } catch (error) {
    const message = error instanceof PostTimeoutError ? error.message : describe(error);
    return { kind: 'failed', status: null, error: message.slice(0, 500), retryAfter: null };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  // "connect ECONNREFUSED 127.0.0.1:4000" already names the code; "socket hang up" does not.
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
