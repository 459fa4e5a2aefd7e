/**
 * A real HTTP agent backend for tests, on 127.0.0.1: it records every webhook it receives (raw
 * body and headers) and answers as the test scripts it (status codes, delays, Retry-After).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { type: string; taskId: string; messageId: string; message?: string; agentId: string; responseUrl?: string };
  at: number;
}

export interface Script {
  status: number;
  delayMs?: number;
  headers?: Record<string, string>;
}

export interface TestAgentServer {
  url: string;
  received: Received[];
  /** Answers for the next requests, in order; after they run out, `fallback`. */
  script: Script[];
  fallback: Script;
  close(): Promise<void>;
}

export async function startAgentServer(fallback: Script = { status: 200 }): Promise<TestAgentServer> {
  const state: TestAgentServer = {
    url: '',
    received: [],
    script: [],
    fallback,
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Received['body'];
      try {
        body = JSON.parse(raw) as Received['body'];
      } catch {
        body = { type: 'invalid', taskId: '', messageId: '', agentId: '' };
      }
      state.received.push({ headers: req.headers, raw, body, at: Date.now() });
      const step = state.script.shift() ?? state.fallback;
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(step.status, { 'content-type': 'application/json', ...(step.headers ?? {}) }).end('{}');
      };
      if (step.delayMs) setTimeout(send, step.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/hook`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
