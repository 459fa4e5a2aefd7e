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
 * `signingSecret` may be a list: while you roll out a rotated secret, pass the new and the old
 * one, and a webhook signed with either verifies. (During a rotation's grace period Webhook Chat
 * signs with both, so an agent that still knows only the old secret keeps working too.)
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
export function verifyTaskWebhook(signingSecret: string | readonly string[], rawBody: string | Buffer, headers: HeaderSource): AgentWebhook {
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const signed = {
    'webhook-id': pick(headers, 'webhook-id'),
    'webhook-timestamp': pick(headers, 'webhook-timestamp'),
    'webhook-signature': pick(headers, 'webhook-signature'),
  };
  const secrets = typeof signingSecret === 'string' ? [signingSecret] : signingSecret;
  if (secrets.length === 0) throw new WebhookVerificationError('No signing secret given');
  let failure: unknown = null;
  for (const secret of secrets) {
    try {
      // jsonParse: false, so a bad signature and a bad body are told apart below.
      new Webhook(secret).verify(body, signed, { jsonParse: false });
      failure = null;
      break;
    } catch (error) {
      failure = error;
    }
  }
  if (failure !== null) throw failure;
  return JSON.parse(body) as AgentWebhook;
}
