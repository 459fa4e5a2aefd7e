/** A client for agent backends: answer tasks, post statuses, and pull tasks in pull mode. */
import { randomUUID } from 'node:crypto';
import type { AgentWebhook, ErrorBody, WebhookResponseResponse } from '../protocol/index.js';

export interface AgentClientOptions {
  /** Where Webhook Chat runs, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** The agent token returned when the agent was created. */
  token: string;
  /** Attempts for a request that fails with a network error, 429 or 5xx. Default 5. */
  retries?: number;
  /** Milliseconds per request. Default 35000 (long enough for a 30 s pull). */
  timeoutMs?: number;
}

export interface RespondOptions {
  /** false keeps the user's page waiting for more; default true. */
  final?: boolean;
  /** Your ID for this answer; repeats are stored once. Generated when absent. */
  messageId?: string;
  /** The user message this answers; default the latest pending one. */
  inReplyTo?: string;
  /** Abandons the call (and its retries). */
  signal?: AbortSignal;
}

export interface PulledTask {
  /** Acknowledge with this ID. It is also the webhook-id the task would carry in push mode. */
  deliveryId: string;
  /** How many times this task has been handed out, this time included. */
  attempt: number;
  /** ISO 8601: acknowledge before this, or the task is offered again. */
  leaseExpiresAt: string;
  event: AgentWebhook;
}

export interface PullLoopOptions {
  /** Stops the loop; an open long-poll is abandoned at once. */
  signal?: AbortSignal;
  /** Seconds each long-poll waits for tasks (max 30). Default 30. */
  waitSeconds?: number;
  /** Tasks per poll (max 100). Default 10. */
  limit?: number;
  /** Called with errors the loop survives: a failing handler, an unreachable server. */
  onError?: (error: unknown) => void;
}

/** An error answer from Webhook Chat, with its stable code (e.g. `TURN_CANCELED`). */
export class WebhookChatError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookChatError';
  }
}

/** Waits `ms`, or less if `signal` aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Errors worth another try: the network, a timeout, 429 and 5xx. Never a caller's abort. */
function retryable(error: unknown): boolean {
  if (error instanceof WebhookChatError) return error.status === 429 || error.status >= 500;
  return !(error instanceof Error && error.name === 'AbortError');
}

export class AgentClient {
  private readonly baseUrl: string;
  private readonly retries: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: AgentClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retries = Math.max(1, options.retries ?? 5);
    this.timeoutMs = options.timeoutMs ?? 35_000;
  }

  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retries; attempt++) {
      let wait = 200 * 2 ** attempt;
      try {
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        const json = (await response.json().catch(() => null)) as T | ErrorBody | null;
        if (response.ok) return json as T;
        const error = (json as ErrorBody | null)?.error;
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) wait = Math.min(retryAfter * 1000, 30_000);
        throw new WebhookChatError(response.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `HTTP ${response.status}`);
      } catch (error) {
        if (signal?.aborted || !retryable(error)) throw error;
        lastError = error;
      }
      if (attempt < this.retries) await sleep(wait, signal);
      if (signal?.aborted) throw signal.reason;
    }
    throw lastError;
  }

  /**
   * Answers a task. Safe to retry: the same `messageId` is stored once (one is generated for you
   * and reused across this call's own retries). Rejects with `WebhookChatError` code
   * `TURN_CANCELED` when the user canceled the turn meanwhile.
   *
   * @example
   * ```ts
   * const client = new AgentClient({ baseUrl: 'http://localhost:3000', token: process.env.AGENT_TOKEN! });
   * await client.respond(event.taskId, 'Here is your answer', { inReplyTo: event.messageId });
   * // A partial answer: the page keeps waiting for the final one.
   * await client.respond(event.taskId, 'Still looking…', { final: false });
   * ```
   */
  async respond(taskId: string, text: string, options: RespondOptions = {}): Promise<WebhookResponseResponse> {
    return this.request(
      'POST',
      '/api/communications/webhook-response',
      {
        taskId,
        response: text,
        final: options.final ?? true,
        messageId: options.messageId ?? `msg_${randomUUID().replaceAll('-', '')}`,
        ...(options.inReplyTo === undefined ? {} : { inReplyTo: options.inReplyTo }),
      },
      options.signal,
    );
  }

  /**
   * Shows a transient status such as "working" on the user's page; it expires by itself (after
   * STATUS_TTL_MS, 30 s by default) unless posted again, and a final answer clears it.
   *
   * @example
   * ```ts
   * await client.setStatus(event.taskId, 'working', 'Searching the docs…');
   * ```
   */
  async setStatus(taskId: string, status: string, text?: string, options: { signal?: AbortSignal } = {}): Promise<WebhookResponseResponse> {
    return this.request(
      'POST',
      '/api/communications/webhook-response',
      { taskId, status, ...(text === undefined ? {} : { statusText: text }) },
      options.signal,
    );
  }

  /**
   * Pull mode: waits up to `waitSeconds` (max 30) for tasks, each leased to you until acknowledged.
   * Returns an empty list when none came in time.
   *
   * @example
   * ```ts
   * const tasks = await client.pull({ waitSeconds: 30 });
   * ```
   */
  async pull(options: { waitSeconds?: number; limit?: number; signal?: AbortSignal } = {}): Promise<PulledTask[]> {
    const query = new URLSearchParams({ wait: String(options.waitSeconds ?? 30), limit: String(options.limit ?? 10) });
    const body = await this.request<{ tasks: PulledTask[] }>('GET', `/api/agent/tasks?${query.toString()}`, undefined, options.signal);
    return body.tasks;
  }

  /**
   * Pull mode: marks a task received, so it is not offered again. Acknowledging twice is fine.
   *
   * @example
   * ```ts
   * await client.ack(task.deliveryId);
   * ```
   */
  async ack(deliveryId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.request('POST', `/api/agent/tasks/${encodeURIComponent(deliveryId)}/ack`, undefined, options.signal);
  }

  /**
   * Pull mode: a loop that pulls tasks, calls `handler` for each, and acknowledges it once the
   * handler resolves (a handler that throws leaves it to be offered again after its lease, with
   * the same `deliveryId`). Runs until `signal` aborts, then resolves. Rejects only when the
   * server refuses the token (401/403), which retrying cannot fix.
   *
   * @example
   * ```ts
   * const stop = new AbortController();
   * process.once('SIGINT', () => stop.abort());
   * await client.runPullLoop(async (event) => {
   *   if (event.type === 'task.message') await client.respond(event.taskId, `Echo: ${event.message}`, { inReplyTo: event.messageId });
   * }, { signal: stop.signal, onError: console.error });
   * ```
   */
  async runPullLoop(handler: (event: AgentWebhook, task: PulledTask) => Promise<void>, options: PullLoopOptions = {}): Promise<void> {
    const { signal } = options;
    while (!signal?.aborted) {
      let tasks: PulledTask[];
      try {
        tasks = await this.pull({
          waitSeconds: options.waitSeconds ?? 30,
          ...(options.limit === undefined ? {} : { limit: options.limit }),
          ...(signal === undefined ? {} : { signal }),
        });
      } catch (error) {
        if (signal?.aborted) return;
        if (error instanceof WebhookChatError && (error.status === 401 || error.status === 403)) throw error;
        options.onError?.(error);
        await sleep(1000, signal);
        continue;
      }
      for (const task of tasks) {
        if (signal?.aborted) return;
        try {
          await handler(task.event, task);
          await this.ack(task.deliveryId, signal === undefined ? {} : { signal });
        } catch (error) {
          if (signal?.aborted) return;
          options.onError?.(error);
        }
      }
    }
  }
}
