/**
 * One HTTP POST with a hard deadline, over keep-alive connection pools. The worker uses node:http
 * rather than global fetch: fetch builds WHATWG streams, Request/Response objects and an abort
 * signal per call, which cost more than the whole rest of a delivery on a busy outbox.
 */
import http from 'node:http';
import https from 'node:https';

export interface PostResult {
  status: number;
  /** Response headers we act on (lower-case names). */
  retryAfter: string | null;
}

export class PostTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

export interface HttpPosterOptions {
  /** Connections per origin; at least the delivery concurrency, so one agent can use every slot. */
  maxSockets: number;
}

export class HttpPoster {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(options: HttpPosterOptions) {
    const pool = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: Math.min(options.maxSockets, 256), scheduling: 'lifo' as const };
    this.httpAgent = new http.Agent(pool);
    this.httpsAgent = new https.Agent(pool);
  }

  /**
   * POSTs `body` and resolves with the status once the response headers arrive (the body is
   * drained in the background so the connection can be reused). Rejects on network errors and
   * with PostTimeoutError when no answer came within `timeoutMs`.
   *
   * A request that fails on a reused keep-alive connection before any answer is sent once more on
   * a fresh one: the agent closed an idle connection as we picked it, and never saw the request.
   */
  async post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
    const deadline = Date.now() + timeoutMs;
    try {
      return await this.once(url, headers, body, deadline, timeoutMs);
    } catch (error) {
      if (!(error instanceof StaleSocketError)) throw error;
      return this.once(url, headers, body, deadline, timeoutMs);
    }
  }

  private once(url: URL, headers: Record<string, string>, body: string, deadline: number, timeoutMs: number): Promise<PostResult> {
    const secure = url.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    return new Promise<PostResult>((resolve, reject) => {
      let answered = false;
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: { ...headers, 'content-length': String(payload.length) },
      });
      const timer = setTimeout(() => request.destroy(new PostTimeoutError(timeoutMs)), Math.max(1, deadline - Date.now()));
      request.once('response', (response) => {
        answered = true;
        const retryAfter = response.headers['retry-after'];
        resolve({ status: response.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
        // Drain the body within the same deadline, so a slow body cannot hold a connection forever.
        response.resume();
        response.once('end', () => clearTimeout(timer));
        // `on`, not `once`: an 'error' event with no listener would crash the process.
        response.on('error', () => clearTimeout(timer));
      });
      request.on('error', (error) => {
        clearTimeout(timer);
        if (answered) return;
        reject(request.reusedSocket && isReset(error) ? new StaleSocketError(error) : error);
      });
      request.end(payload);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

class StaleSocketError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

function isReset(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
