/**
 * Crash-loop client (its own process): sends signed webhooks with chosen messageIds, a few at a
 * time, until the server stops answering. Reports which were acknowledged with a 2xx. Used to
 * prove that every acknowledged webhook survives a SIGKILL, exactly once.
 */
import { Agent, request } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { serve } from '../support/rpc.js';
import { signedWebhook, WEBHOOK_PATH } from '../support/webhooks.js';

export interface CrashRun {
  url: string;
  secret: string;
  taskIds: string[];
  /** First new index to send (messageId `crash_<i>`, webhook-id `wh_crash_<i>`). */
  from: number;
  /** Indexes to send again first (retries of unacknowledged or acknowledged webhooks). */
  resend: number[];
  concurrency: number;
}

export interface CrashResult {
  acked: number[];
  /** Every index that was sent (acknowledged or not). */
  sent: number[];
  next: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: WEBHOOK_PATH, method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
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

async function run(params: CrashRun): Promise<CrashResult> {
  const signer = new Webhook(params.secret);
  const url = new URL(params.url);
  const acked: number[] = [];
  const sent: number[] = [];
  const queue = [...params.resend];
  let next = params.from;
  let dead = false;
  const lane = async (): Promise<void> => {
    while (!dead) {
      const i = queue.length > 0 ? (queue.shift() as number) : next++;
      const taskId = params.taskIds[i % params.taskIds.length] as string;
      const signed = signedWebhook(signer, `wh_crash_${i}`, { taskId, response: `crash loop answer ${i}`, messageId: `crash_${i}` });
      sent.push(i);
      try {
        const status = await post(url, signed.headers, signed.body);
        if (status >= 200 && status < 300) acked.push(i);
      } catch {
        // The server is gone (killed): stop this lane.
        dead = true;
      }
    }
  };
  await Promise.all(Array.from({ length: params.concurrency }, lane));
  agent.destroy();
  return { acked, sent, next };
}

serve({ run });
