/**
 * The delivery baseline (its own process): a plain loop of node fetch() calls with a fixed number
 * in flight, each a signed task webhook like the ones the server sends, to the same agent.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { serve } from '../support/rpc.js';

export interface FetchLoopResult {
  ok: number;
  failed: number;
  ms: number;
}

async function run(params: { url: string; count: number; concurrency: number; secret: string }): Promise<FetchLoopResult> {
  const signer = new Webhook(params.secret);
  const tag = randomBytes(4).toString('hex');
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
      try {
        const response = await fetch(params.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signer.sign(id, at, body),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        if (response.ok) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: params.concurrency }, lane));
  return { ok, failed, ms: performance.now() - t0 };
}

serve({ run });
