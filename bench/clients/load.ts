/**
 * Load generator (its own process): autocannon, driven over IPC.
 * - `webhooks`: pre-signs distinct webhooks (distinct webhook-ids and messageIds, round-robin over
 *   the given tasks) before the clock starts, then replays them as fast as the target acks them.
 * - `get`: one fixed request, as fast as possible.
 */
import { randomBytes } from 'node:crypto';
import autocannon, { type Result } from 'autocannon';
import { Webhook } from 'standardwebhooks';
import { serve } from '../support/rpc.js';
import { signedWebhook, WEBHOOK_PATH, type SignedRequest } from '../support/webhooks.js';

export interface LoadSummary {
  rps: number;
  total: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: { mean: number; p50: number; p99: number; max: number };
  /** Webhooks only: how many pre-signed requests were used, and whether they ran out. */
  presigned?: number;
  /** Webhooks only: 2xx answers during the warm-up (they are stored too). */
  warmupOk?: number;
  /** Webhooks only: requests answered during the warm-up, whatever their status. */
  warmupTotal?: number;
  /** Webhooks only: CPU seconds this client spent from the warm-up's start to the run's end (not signing ahead). */
  cpuSeconds?: number;
  exhausted?: boolean;
  statusCodes: Record<string, number>;
}

function summary(result: Result): LoadSummary {
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count;
  return {
    rps: result.requests.average,
    total: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { mean: result.latency.mean, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    statusCodes,
  };
}

export interface WebhookLoad {
  url: string;
  path?: string;
  secret: string;
  taskIds: string[];
  connections: number;
  durationS: number;
  warmupS: number;
  /** Requests to pre-sign: enough for warm-up plus the run at the fastest rate expected. */
  presign: number;
  /** Extra bytes of answer text. */
  padding?: number;
}

async function webhooks(params: WebhookLoad): Promise<LoadSummary> {
  const signer = new Webhook(params.secret);
  const run = randomBytes(4).toString('hex');
  const at = new Date();
  const text = `Benchmark answer ${'x'.repeat(params.padding ?? 64)}`;
  const requests: SignedRequest[] = new Array<SignedRequest>(params.presign);
  for (let i = 0; i < params.presign; i++) {
    const taskId = params.taskIds[i % params.taskIds.length] as string;
    requests[i] = signedWebhook(signer, `msg_${run}_${i}`, { taskId, response: text, messageId: `bench_${run}_${i}` }, at);
  }
  let next = 0;
  let exhausted = false;
  const path = params.path ?? WEBHOOK_PATH;
  const take = (): SignedRequest => {
    if (next >= requests.length) {
      // Out of pre-signed requests: sign on the fly (slower, and reported).
      exhausted = true;
      const i = next++;
      const taskId = params.taskIds[i % params.taskIds.length] as string;
      return signedWebhook(signer, `msg_${run}_${i}`, { taskId, response: text, messageId: `bench_${run}_${i}` });
    }
    return requests[next++] as SignedRequest;
  };
  const options = (durationS: number) => ({
    url: params.url,
    connections: params.connections,
    duration: durationS,
    requests: [
      {
        setupRequest: () => {
          const r = take();
          return { method: 'POST', path, headers: r.headers, body: r.body };
        },
      },
    ],
  });
  const cpuBefore = process.cpuUsage();
  const warm = params.warmupS > 0 ? await autocannon(options(params.warmupS)) : null;
  const result = summary(await autocannon(options(params.durationS)));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    ...result,
    presigned: requests.length,
    exhausted,
    warmupOk: warm ? warm['2xx'] : 0,
    warmupTotal: warm ? warm.requests.total : 0,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

export interface GetLoad {
  url: string;
  path: string;
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
  warmupS: number;
}

async function get(params: GetLoad): Promise<LoadSummary> {
  const options = (durationS: number) => ({
    url: `${params.url}${params.path}`,
    connections: params.connections,
    duration: durationS,
    headers: params.headers ?? {},
  });
  if (params.warmupS > 0) await autocannon(options(params.warmupS));
  return summary(await autocannon(options(params.durationS)));
}

serve({ webhooks, get });
