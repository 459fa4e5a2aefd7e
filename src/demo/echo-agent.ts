/**
 * The demo "Echo" agent: a small HTTP endpoint like any real agent backend. It receives tasks as
 * signed webhooks, verifies them with the SDK, and answers through the public webhook over HTTP.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentClient, verifyTaskWebhook } from '../sdk/index.js';

export interface EchoAgentOptions {
  /** Webhook Chat's base URL. */
  serverUrl: string;
  token: string;
  signingSecret: string;
  /** Pause before answering, so the page's waiting state is visible. Default 600 ms. */
  thinkMs?: number;
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

export async function startEchoAgent(options: EchoAgentOptions): Promise<RunningEchoAgent> {
  const client = new AgentClient({ baseUrl: options.serverUrl, token: options.token });
  const seen = new Set<string>();
  const think = options.thinkMs ?? 600;
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
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      const id = String(req.headers['webhook-id']);
      if (seen.has(id) || event.type !== 'task.message') return;
      seen.add(id);
      void (async () => {
        await client.setStatus(event.taskId, 'working', 'Echo is typing…');
        await new Promise((r) => setTimeout(r, think));
        await client.respond(event.taskId, reply(event.message), { inReplyTo: event.messageId, messageId: `echo_${event.messageId}`.slice(0, 128) });
      })().catch(() => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
