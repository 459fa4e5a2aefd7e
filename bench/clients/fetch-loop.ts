/**
 * The delivery baselines (their own process): a plain loop with a fixed number of requests in
 * flight, each a signed task webhook like the ones the server sends, to the same agent. With
 * `fetch` (undici, the brief's "node fetch loop") or with node:http and a keep-alive agent (the
 * transport the server's sender uses).
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { serve } from '../support/rpc.js';

export interface FetchLoopResult {
  ok: number;
  failed: number;
  ms: number;
}

export interface FetchLoopParams {
  url: string;
  count: number;
  concurrency: number;
  secret: string;
  client: 'fetch' | 'http';
}

function httpPost(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function run(params: FetchLoopParams): Promise<FetchLoopResult> {
  const signer = new Webhook(params.secret);
  const tag = randomBytes(4).toString('hex');
  const url = new URL(params.url);
  const agent = new Agent({ keepAlive: true, maxSockets: params.concurrency });
  let next = 0;
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < params.count) {
      const i = next++;
      const id = `dlv_${tag}_${i}`;
      const body = JSON.stringify({
        type: 'task.message',
        taskId: `task_${tag}_${i}`,
        messageId: `msg_${tag}_${i}`,
        agentId: 'agt_bench',
        message: 'Hello from the bench',
        createdAt: new Date().toISOString(),
        responseUrl: 'http://127.0.0.1/api/communications/webhook-response',
      });
      const at = new Date();
      const headers = {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signer.sign(id, at, body),
      };
      try {
        let status: number;
        if (params.client === 'http') {
          status = await httpPost(agent, url, headers, body);
        } else {
          const response = await fetch(params.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
          await response.arrayBuffer();
          status = response.status;
        }
        if (status >= 200 && status < 300) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: params.concurrency }, lane));
  agent.destroy();
  return { ok, failed, ms: performance.now() - t0 };
}

serve({ run });
