/**
 * GET /api/communications/stream: Server-Sent Events for one task, resumable by Last-Event-ID.
 *
 * An idle stream is held for hours, and an instance may hold tens of thousands, so what each one
 * keeps alive is kept small: the header block Node stores is only the event stream's own, Fastify's
 * request and reply are let go once the stream is open, and the stream's bookkeeping lives in
 * objects and listeners shared by every stream rather than in closures of its own.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import type { RelayContext } from '../../relay/context.js';
import { taskForReader } from '../../relay/readers.js';
import { readerOf } from '../auth.js';
import { sessionRateLimit } from '../rate-limits.js';
import { ErrorBody, StreamQuery } from '../schemas.js';
import { securityHeadersOnSend } from '../security.js';
import type { Heartbeats } from '../sse/heartbeats.js';
import { TaskStream, type StreamHost } from '../sse/task-stream.js';

/** An open stream, and what closing it gives back. */
interface OpenStream {
  stream: TaskStream;
  /** The per-session limit's key it counts against. */
  key: string;
  /** Its Heartbeats bucket. */
  bucket: number;
  /** The request that opened it, and when (performance.now()), for its "request completed" line. */
  reqId: string;
  startedAt: number;
}

/** Open streams, so shutdown can end them cleanly with a retry hint; and how many each session holds. */
export class StreamRegistry {
  /** By response: the 'close' listener that every stream shares finds its stream here. */
  private readonly open = new Map<ServerResponse, OpenStream>();
  private readonly perSession = new Map<string, number>();

  claim(key: string, max: number): boolean {
    const count = this.perSession.get(key) ?? 0;
    if (count >= max) return false;
    this.perSession.set(key, count + 1);
    return true;
  }

  release(key: string): void {
    const count = (this.perSession.get(key) ?? 1) - 1;
    if (count <= 0) this.perSession.delete(key);
    else this.perSession.set(key, count);
  }

  add(open: OpenStream): void {
    this.open.set(open.stream.res, open);
  }

  get(res: ServerResponse): OpenStream | undefined {
    return this.open.get(res);
  }

  /** Forgets the stream of `res`; returns it, or undefined when it was not (or no longer) open. */
  delete(res: ServerResponse): OpenStream | undefined {
    const open = this.open.get(res);
    this.open.delete(res);
    return open;
  }

  endAll(retryMs: number): void {
    for (const { stream } of [...this.open.values()]) stream.end(retryMs);
  }
}

function lastEventId(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** A response error (a write after its end) must not take the process down: drop the connection. */
function destroyOnError(this: ServerResponse): void {
  this.destroy();
}

/**
 * Fastify listens for the response's 'finish' and 'error', with one function for both, to run the
 * onResponse hooks and log the completion. That listener holds the request and the reply, with their
 * child logger and parsed cookies, for as long as the response lives: for a stream, hours, and about
 * 1 KB per reader. A hijacked stream does its own bookkeeping (readers_connected, its "request
 * completed" line), so the listener goes; its place on 'error' is taken by one shared function.
 */
function releaseFastify(res: ServerResponse): void {
  const onFinish = new Set(res.listeners('finish'));
  for (const listener of res.listeners('error')) {
    if (!onFinish.has(listener)) continue;
    res.removeListener('error', listener as (error: Error) => void);
    res.removeListener('finish', listener as () => void);
  }
  res.on('error', destroyOnError);
}

export function streamRoutes(ctx: RelayContext, registry: StreamRegistry, heartbeats: Heartbeats): FastifyPluginAsyncTypebox {
  // One host and one 'close' listener for every stream (see TaskStream's StreamHost).
  const host: StreamHost = {
    closed(stream) {
      const open = registry.delete(stream.res);
      if (open === undefined) return;
      registry.release(open.key);
      heartbeats.remove(stream, open.bucket);
      ctx.metrics.readers.dec({ kind: 'sse' });
      // As Fastify logs every other request (it no longer sees this one end). Streams stay out of
      // the request latency histogram; readers_connected counts them.
      ctx.log.info({ reqId: open.reqId, res: { statusCode: 200 }, responseTime: performance.now() - open.startedAt }, 'request completed');
    },
  };
  function onResponseClose(this: ServerResponse): void {
    registry.get(this)?.stream.close();
  }

  return async (app) => {
    app.get(
      '/api/communications/stream',
      {
        // Security headers go on refusals only (see security.ts): an open stream carries its own.
        config: { rateLimit: sessionRateLimit(ctx), securityHeadersOnSend: true },
        onSend: securityHeadersOnSend,
        schema: {
          tags: ['communications'],
          summary: 'Stream a task\'s answers as Server-Sent Events',
          description:
            '`event: response` (id = seq, data = Communication) and `event: task` (data = TaskView). ' +
            'Resume with Last-Event-ID or ?after=. Access is scoped like get-responses.',
          querystring: StreamQuery,
          response: { '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (request, reply) => {
        const { taskId } = request.query;
        const reader = await readerOf(ctx, request);
        await taskForReader(ctx, taskId, reader);
        const after = lastEventId(request.headers['last-event-id']) ?? request.query.after ?? 0;
        const key = reader.kind === 'session' ? `s:${reader.sessionHash ?? ''}` : reader.kind === 'agent' ? `a:${reader.agentId}` : 'admin';
        if (!registry.claim(key, ctx.config.maxStreamsPerSession)) {
          throw new AppError('TOO_MANY_STREAMS', `At most ${ctx.config.maxStreamsPerSession} streams per session.`, { retryAfter: 5 });
        }
        reply.hijack();
        const res = reply.raw;
        releaseFastify(res);
        res.socket?.setNoDelay(true);
        // Node keeps a response's header block for as long as the response lives, which for a
        // stream is hours, times every open stream. So a stream carries only what an event stream
        // needs: the page-level headers (CSP, framing, referrer…) mean nothing on it and would cost
        // about 2 KB per reader. Refusals before this point get every security header. Since no
        // header was set on the response before, Node keeps no header object for it either.
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-content-type-options': 'nosniff',
          'cross-origin-resource-policy': 'same-origin',
        });
        // Sent at once and on their own: the browser sees the stream open before the first event,
        // and a header block written by itself is flattened in place by V8, where Node would
        // otherwise keep it as a rope of ~30 pieces (another ~1 KB per reader).
        res.flushHeaders();
        ctx.metrics.readers.inc({ kind: 'sse' });
        const stream = new TaskStream(ctx, res, taskId, after, host);
        registry.add({ stream, key, bucket: heartbeats.add(stream), reqId: request.id, startedAt: performance.now() - reply.elapsedTime });
        res.on('close', onResponseClose);
        // The browser may have gone during the reads above, before there was a listener to hear it.
        if (res.destroyed) stream.close();
      },
    );
  };
}
