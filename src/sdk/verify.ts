/** Verifying the task webhooks Webhook Chat sends to an agent's endpoint. */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { AgentWebhook } from '../protocol/index.js';

export { WebhookVerificationError };

/** Header values as Node's http module or fetch's Headers give them. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function pick(headers: HeaderSource, name: string): string {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? '';
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/**
 * Checks the Standard Webhooks signature of a task webhook and returns its parsed body.
 * Pass the raw body exactly as received (not re-serialised JSON). Throws
 * `WebhookVerificationError` when the signature is wrong or the timestamp is more than 5 minutes off.
 *
 * The `webhook-id` header stays the same across retries: remember the ones you handled to skip
 * repeats.
 *
 * @example
 * ```ts
 * import { verifyTaskWebhook } from 'webhook-chat';
 * const event = verifyTaskWebhook(process.env.SIGNING_SECRET!, rawBody, req.headers);
 * if (event.type === 'task.message') console.log(event.taskId, event.message);
 * ```
 */
export function verifyTaskWebhook(signingSecret: string, rawBody: string | Buffer, headers: HeaderSource): AgentWebhook {
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  new Webhook(signingSecret).verify(body, {
    'webhook-id': pick(headers, 'webhook-id'),
    'webhook-timestamp': pick(headers, 'webhook-timestamp'),
    'webhook-signature': pick(headers, 'webhook-signature'),
  });
  return JSON.parse(body) as AgentWebhook;
}
