/**
 * Webhook driver (its own process): sends signed webhook-response requests at a fixed rate
 * (open loop: the schedule does not wait for acks), round-robin over the given tasks. Each answer
 * text carries its send time (process.hrtime, shared by every process on the machine), so readers
 * can compute webhook → reader latency. Records the ack latency of every request.
 */
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { serve } from '../support/rpc.js';
import { msBetween, nowNs, Samples, summarize, type Summary } from '../support/stats.js';
import { signedWebhook, stampText, WEBHOOK_PATH } from '../support/webhooks.js';

export interface DriveParams {
  url: string;
  /** Default: the Webhook Chat webhook path. */
  path?: string;
  secret: string;
  taskIds: string[];
  rate: number;
  durationMs: number;
  /** Extra characters in each answer, to make it a realistic size. */
  padding?: number;
  /** Send each webhook to the next of these URLs in turn (several instances); default [url]. */
  urls?: string[];
  /** Also return each acked messageId (crash loop). */
  returnAcked?: boolean;
}

export interface DriveResult {
  sent: number;
  acked: number;
  failed: number;
  statusCodes: Record<string, number>;
  errors: Record<string, number>;
  ack: Summary;
  /** Achieved send rate. */
  rate: number;
  startNs: string;
  /** With `returnAcked`: the messageId of every 2xx-acknowledged webhook. */
  ackedIds?: string[];
}

const agent = new Agent({ keepAlive: true, maxSockets: 512 });

function post(url: URL, path: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function run(params: DriveParams): Promise<DriveResult> {
  const signer = new Webhook(params.secret);
  const urls = (params.urls ?? [params.url]).map((u) => new URL(u));
  const path = params.path ?? WEBHOOK_PATH;
  const padding = ' '.repeat(params.padding ?? 40);
  const tag = randomBytes(4).toString('hex');
  const ack = new Samples();
  const statusCodes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const ackedIds: string[] = [];
  let sent = 0;
  let acked = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const start = nowNs();
  const total = Math.round((params.rate * params.durationMs) / 1000);

  const sendOne = (i: number): void => {
    const taskId = params.taskIds[i % params.taskIds.length] as string;
    const messageId = `lat_${tag}_${i}`;
    const t = nowNs();
    const signed = signedWebhook(signer, `wh_${tag}_${i}`, { taskId, response: stampText(t, padding), messageId });
    const target = urls[i % urls.length] as URL;
    const p = post(target, path, signed.headers, signed.body).then(
      (status) => {
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        if (status >= 200 && status < 300) {
          acked++;
          ack.push(msBetween(t, nowNs()));
          if (params.returnAcked) ackedIds.push(messageId);
        } else failed++;
      },
      (error: unknown) => {
        failed++;
        const key = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);
        errors[key] = (errors[key] ?? 0) + 1;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((msBetween(start, nowNs()) * params.rate) / 1000));
      while (sent < due) sendOne(sent++);
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const elapsedMs = msBetween(start, nowNs());
  await Promise.allSettled([...inFlight]);
  return {
    sent,
    acked,
    failed,
    statusCodes,
    errors,
    ack: summarize(ack.values()),
    rate: (sent * 1000) / Math.max(1, elapsedMs),
    startNs: String(start),
    ...(params.returnAcked ? { ackedIds } : {}),
  };
}

serve({ run });
