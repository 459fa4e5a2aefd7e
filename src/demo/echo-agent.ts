/**
 * The demo "Echo" agent: a small HTTP endpoint like any real agent backend. It receives tasks as
 * signed webhooks, verifies them with the SDK, and answers through the public webhook over HTTP.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentClient, verifyTaskWebhook, WebhookChatError } from '../sdk/index.js';

/** Where the agent reports answers it could not send (pino's and Fastify's loggers fit). */
export interface EchoAgentLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface EchoAgentOptions {
  /** Webhook Chat's base URL. */
  serverUrl: string;
  token: string;
  signingSecret: string;
  /** Pause before answering, so the page's waiting state is visible. Default 600 ms. */
  thinkMs?: number;
  /** Failed calls back to Webhook Chat are logged here; without it they are dropped silently. */
  log?: EchoAgentLogger;
  /** How many webhook-ids to remember for de-duplication (least recently seen forgotten). Default 10,000. */
  rememberIds?: number;
}

export interface RunningEchoAgent {
  /** The endpoint URL to register. */
  url: string;
  close(): Promise<void>;
}

function reply(message: string): string {
  const trimmed = message.trim();
  return [
    `**Echo** received your message (${trimmed.length} characters):`,
    '',
    ...trimmed.split('\n').map((line) => `> ${line}`),
    '',
    'This demo agent repeats what you send. Connect your own agent to get real answers — see the README.',
  ].join('\n');
}

/** A set of the most recently seen IDs: a redelivery comes within minutes, not after 10,000 others. */
class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly max: number) {}

  /** Remembers `id`; true when it was already known. */
  seen(id: string): boolean {
    const known = this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
    return known;
  }
}

/** One answer per user message, so a redelivery stores nothing new; hashed when too long to prefix. */
function answerIdFor(userMessageId: string): string {
  const id = `echo_${userMessageId}`;
  return id.length <= 128 ? id : `echoh_${createHash('sha256').update(userMessageId).digest('base64url')}`;
}

/** What is safe and useful to log about a failed call: never the token or the message text. */
function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof WebhookChatError) return { status: error.status, code: error.code, error: error.message };
  return { error: error instanceof Error ? error.message : String(error) };
}

export async function startEchoAgent(options: EchoAgentOptions): Promise<RunningEchoAgent> {
  const client = new AgentClient({ baseUrl: options.serverUrl, token: options.token });
  const recent = new RecentIds(options.rememberIds ?? 10_000);
  const think = options.thinkMs ?? 600;
  const warn = (details: Record<string, unknown>, message: string): void => options.log?.warn(details, message);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let event;
      try {
        event = verifyTaskWebhook(options.signingSecret, raw, req.headers);
      } catch {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
        return;
      }
      const webhookId = String(req.headers['webhook-id']);
      // A redelivery (same webhook-id) is acknowledged again but not answered twice.
      const duplicate = event.type === 'task.message' && recent.seen(webhookId);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, duplicate }));
      if (event.type !== 'task.message' || duplicate) return;
      const about = { webhookId, taskId: event.taskId, messageId: event.messageId };
      void (async () => {
        // The status is cosmetic: failing to set it must not stop the answer.
        await client.setStatus(event.taskId, 'working', 'Echo is typing…').catch((error: unknown) => {
          warn({ ...about, ...describeError(error) }, 'echo agent: could not set its status');
        });
        await new Promise((r) => setTimeout(r, think));
        await client.respond(event.taskId, reply(event.message), { inReplyTo: event.messageId, messageId: answerIdFor(event.messageId) });
      })().catch((error: unknown) => {
        warn({ ...about, ...describeError(error) }, 'echo agent: could not send its answer');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
