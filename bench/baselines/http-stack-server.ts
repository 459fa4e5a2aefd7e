/**
 * A second ingest baseline: the server's own HTTP stack with none of its relay or store logic.
 * Fastify with the same request pieces as the server (its JSON body parser, TypeBox/Ajv schema
 * validation of the webhook body, cookie and rate-limit plugins, security headers, pino at warn,
 * the request-duration histogram) and the same Standard Webhooks verification, then one insert
 * into a table without indexes, committed in groups at synchronous=NORMAL. What the server does on
 * top (repeat detection, turns, the task's seq and version, four indexes, durable commit, wake-ups)
 * is what separates its figure from this one. Prints `listening <port>`. Env: DB_PATH, SECRET.
 */
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { Histogram, Registry } from 'prom-client';
import { registerJsonBody } from '../../src/http/json-body.js';
import { WebhookBody } from '../../src/http/schemas.js';
import { registerSecurityHeaders } from '../../src/http/security.js';
import { validatorCompiler } from '../../src/http/validation.js';
import { StandardWebhook } from '../../src/relay/standard-webhook.js';
import { openFloorTable } from './floor-table.js';

const { db, insert } = openFloorTable(process.env.DB_PATH ?? ':memory:');

/** Group commit: inserts queued in one event-loop turn share a transaction; each resolves after it. */
let queued: Array<{ row: [string, string, string, number]; done: () => void }> = [];
function store(row: [string, string, string, number]): Promise<void> {
  return new Promise((done) => {
    queued.push({ row, done });
    if (queued.length > 1) return;
    setImmediate(() => {
      const group = queued;
      queued = [];
      db.transaction(() => {
        for (const item of group) insert.run(...item.row);
      })();
      for (const item of group) item.done();
    });
  });
}

const verifier = new StandardWebhook(process.env.SECRET ?? `whsec_${Buffer.alloc(32, 1).toString('base64')}`);
const registry = new Registry();
const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request latency by route.',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
  registers: [registry],
});

const app = Fastify({ logger: { level: 'warn' } });
app.setValidatorCompiler(validatorCompiler());
registerJsonBody(app);
app.addHook('onResponse', (request, reply, done) => {
  duration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  done();
});
registerSecurityHeaders(app);
await app.register(cookie);
await app.register(rateLimit, { global: false });
app.post(
  '/',
  {
    config: { rateLimit: { max: 10_000_000, timeWindow: 60_000, keyGenerator: (request) => `signed:${request.ip}` } },
    schema: { body: WebhookBody },
  },
  async (request, reply) => {
    const h = request.headers;
    try {
      verifier.verify(
        request.rawBody ?? '',
        { 'webhook-id': String(h['webhook-id']), 'webhook-timestamp': String(h['webhook-timestamp']), 'webhook-signature': String(h['webhook-signature']) },
        { jsonParse: false },
      );
    } catch {
      return reply.status(401).send({ success: false });
    }
    const body = request.body as { taskId: string; messageId?: string; response?: string };
    await store([body.taskId, body.messageId ?? '', body.response ?? '', Date.now()]);
    return { success: true };
  },
);
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => {
    db.close();
    process.exit(0);
  });
});
