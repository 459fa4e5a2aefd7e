/**
 * A push-mode agent in one file: Webhook Chat POSTs each task to this server, which verifies the
 * signature, acknowledges at once with 200, and then answers through the webhook-response API.
 *
 *   SIGNING_SECRET=whsec_… AGENT_TOKEN=wct_… npx tsx examples/echo-agent/index.ts
 *
 * PORT (default 4000) is where it listens; register http://127.0.0.1:4000/webhook as the agent's
 * endpoint URL. WEBHOOK_CHAT_URL is where answers go (default: the task's signed responseUrl).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentClient, verifyTaskWebhook, WebhookChatError, type TaskMessageWebhook } from '../../src/sdk/index.js';

const secret = process.env.SIGNING_SECRET;
const token = process.env.AGENT_TOKEN;
if (!secret || !token) {
  process.stderr.write('Set SIGNING_SECRET and AGENT_TOKEN (from `webhook-chat agents create`).\n');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 4000);
const MAX_BODY = 1024 * 1024;

/** webhook-ids already handled: a retry of one of them is acknowledged but not answered twice. */
const seen = new Set<string>();
function firstTime(webhookId: string): boolean {
  if (seen.has(webhookId)) return false;
  seen.add(webhookId);
  // Retries stop after about a day; a few thousand recent IDs are plenty.
  if (seen.size > 10_000) seen.delete(seen.values().next().value as string);
  return true;
}

/** Work in progress per user message, so a task.canceled can stop it. */
const working = new Map<string, AbortController>();

const clients = new Map<string, AgentClient>();
function clientFor(responseUrl: string): AgentClient {
  const baseUrl = process.env.WEBHOOK_CHAT_URL ?? new URL(responseUrl).origin;
  let client = clients.get(baseUrl);
  if (!client) clients.set(baseUrl, (client = new AgentClient({ baseUrl, token: token as string })));
  return client;
}

async function answer(event: TaskMessageWebhook): Promise<void> {
  const stop = new AbortController();
  working.set(event.messageId, stop);
  const client = clientFor(event.responseUrl);
  try {
    await client.setStatus(event.taskId, 'working', 'Echo is typing…', { signal: stop.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // messageId derived from the user's message: if this runs twice, the answer is stored once.
    await client.respond(event.taskId, `Echo: ${event.message}`, {
      inReplyTo: event.messageId,
      messageId: `echo_${event.messageId}`.slice(0, 128),
      signal: stop.signal,
    });
  } catch (error) {
    if (stop.signal.aborted || (error instanceof WebhookChatError && error.code === 'TURN_CANCELED')) return;
    process.stderr.write(`could not answer ${event.taskId}: ${String(error)}\n`);
  } finally {
    working.delete(event.messageId);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/webhook') {
    res.writeHead(404).end();
    return;
  }
  readBody(req).then(
    (raw) => {
      let event;
      try {
        // The raw bytes, exactly as received: re-serialised JSON would not verify.
        event = verifyTaskWebhook(secret, raw, req.headers);
      } catch {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid signature"}');
        return;
      }
      // Acknowledge first and answer afterwards: Webhook Chat waits at most DELIVERY_TIMEOUT_MS.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (!firstTime(String(req.headers['webhook-id']))) return;
      if (event.type === 'task.canceled') working.get(event.messageId)?.abort();
      else void answer(event);
    },
    () => res.writeHead(400).end(),
  );
});

server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address() as AddressInfo;
  process.stdout.write(`Echo agent listening on http://127.0.0.1:${actual}/webhook\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const stop of working.values()) stop.abort();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
