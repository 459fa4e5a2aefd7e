/**
 * buildApp: the whole server as a Fastify instance, without listening. main.ts listens; tests
 * call buildApp directly or start main.ts as a child process.
 */
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';
import { OutboxWorker } from './delivery/outbox-worker.js';
import type { Broker } from './events/broker.js';
import { LocalBroker } from './events/local.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandler, sendError } from './http/error-handler.js';
import { AppError } from './errors.js';
import { registerJsonBody } from './http/json-body.js';
import { registerOpenApi } from './http/openapi.js';
import { adminPageRoutes } from './http/routes/admin-page.js';
import { adminRoutes } from './http/routes/admin.js';
import { agentRoutes } from './http/routes/agents.js';
import { communicationRoutes } from './http/routes/communications.js';
import { opsRoutes, type Lifecycle } from './http/routes/ops.js';
import { pullRoutes } from './http/routes/pull.js';
import { StreamRegistry, streamRoutes } from './http/routes/stream.js';
import { taskRoutes } from './http/routes/tasks.js';
import { webRoutes } from './http/routes/web.js';
import { registerSecurityHeaders } from './http/security.js';
import { Heartbeats } from './http/sse/heartbeats.js';
import { validatorCompiler } from './http/validation.js';
import { Metrics } from './observability/metrics.js';
import { publicBaseUrl, type RelayContext } from './relay/context.js';
import { TurnWatchdog } from './relay/turn-watchdog.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

export interface BuiltApp {
  app: FastifyInstance;
  ctx: RelayContext;
  worker: OutboxWorker;
  /** Starts the background loops (delivery worker, turn watchdog). */
  startBackground(): void;
  /** Listens on the configured host and port; fixes publicUrl to the real port. Returns the base URL. */
  listen(): Promise<string>;
}

export interface BuildOptions {
  /** Use this store instead of opening the one the config names (it is closed with the app). */
  store?: Store;
  /** Use this broker instead of the one the config implies. */
  broker?: Broker;
}

async function openBroker(config: Config, log: FastifyBaseLogger): Promise<Broker> {
  if (config.database.kind !== 'postgres') return new LocalBroker();
  const { PostgresBroker } = await import('./events/postgres.js');
  const broker = new PostgresBroker({ url: config.database.url, onError: (error) => log.warn({ error: { message: error.message, code: (error as { code?: string }).code } }, 'event broker') });
  await broker.start();
  return broker;
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<BuiltApp> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Credentials never reach the log, whatever the level.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["webhook-signature"]', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    // Unique per instance and cheap: a random prefix and a counter.
    genReqId: ((prefix: string) => {
      let counter = 0;
      return () => `${prefix}-${(++counter).toString(36)}`;
    })(randomBytes(4).toString('hex')),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    forceCloseConnections: 'idle',
    // Our own drain-time 503 (below) has the API's error shape and a Retry-After.
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler,
    http: { maxHeaderSize: 16 * 1024 },
  });
  app.setValidatorCompiler(validatorCompiler());
  registerJsonBody(app);
  registerErrorHandler(app);

  const metrics = new Metrics();
  const store = options.store ?? (await openStore(config, (error) => app.log.warn({ error: { message: error.message, code: (error as { code?: string }).code } }, 'database connection'), metrics.timeStore));
  const broker = options.broker ?? (await openBroker(config, app.log));
  const shutdown = new AbortController();
  metrics.attach({
    outboxBacklog: () => store.countPendingDeliveries(),
    pingDatabase: () => store.ping(),
    ...(store.walBytes ? { walBytes: () => store.walBytes?.() ?? 0 } : {}),
  });
  const ctx: RelayContext = {
    config,
    store,
    broker,
    metrics,
    log: app.log,
    now: Date.now,
    publicUrl: publicBaseUrl(config),
    outbox: { notify: () => undefined },
    shutdown: shutdown.signal,
  };
  const worker = new OutboxWorker(ctx);
  const watchdog = new TurnWatchdog(ctx);
  const lifecycle: Lifecycle = { shuttingDown: false };
  const streams = new StreamRegistry();
  const heartbeats = new Heartbeats(config.sseHeartbeatMs);

  // Callback-style hooks: these run on every request, and an async hook costs a promise each time.
  app.addHook('onRequest', (_request, reply, done) => {
    if (!lifecycle.shuttingDown) return done();
    sendError(reply, new AppError('SHUTTING_DOWN', undefined, { retryAfter: 1 }));
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  registerSecurityHeaders(app);
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      success: false,
      error: { code: 'RATE_LIMITED', message: `Rate limit exceeded; retry in ${Math.ceil(context.ttl / 1000)} s.` },
    }),
  });
  await registerOpenApi(app);

  await app.register(taskRoutes(ctx));
  await app.register(communicationRoutes(ctx));
  await app.register(streamRoutes(ctx, streams, heartbeats));
  await app.register(agentRoutes(ctx));
  await app.register(pullRoutes(ctx));
  await app.register(adminRoutes(ctx));
  await app.register(adminPageRoutes);
  await app.register(opsRoutes(ctx, lifecycle));
  await app.register(webRoutes);

  // Shutdown, in order: refuse readiness, end streams with a retry hint (they would hold the
  // server open), let in-flight requests finish, stop background work, close the database.
  let closeStartedAt = 0;
  app.addHook('preClose', async () => {
    closeStartedAt = Date.now();
    lifecycle.shuttingDown = true;
    shutdown.abort();
    streams.endAll(1000);
    heartbeats.stop();
    // A connection that never sends a request is not "idle" to Node and would hold close() open.
    setTimeout(() => app.server.closeAllConnections(), Math.floor(config.shutdownTimeoutMs / 2)).unref();
  });
  app.addHook('onClose', async () => {
    // The worker gets part of the deadline, so its leases are given back (and a restart can retry
    // at once) before main.ts's exit timer fires.
    await worker.stop(Math.max(0, Math.floor(config.shutdownTimeoutMs * 0.6) - (Date.now() - closeStartedAt)));
    await watchdog.stop();
    await broker.close();
    await store.close();
  });

  return {
    app,
    ctx,
    worker,
    startBackground() {
      worker.start();
      watchdog.start();
    },
    async listen() {
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      ctx.publicUrl = publicBaseUrl(config, { port });
      return publicBaseUrl({ ...config, publicUrl: null }, { port });
    },
  };
}
