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
}

export interface PulledTask {
  deliveryId: string;
  attempt: number;
  leaseExpiresAt: string;
  event: AgentWebhook;
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class AgentClient {
  private readonly baseUrl: string;
  private readonly retries: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: AgentClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retries = options.retries ?? 5;
    this.timeoutMs = options.timeoutMs ?? 35_000;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retries; attempt++) {
      try {
        const response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const json = (await response.json().catch(() => null)) as T | ErrorBody | null;
        if (response.ok) return json as T;
        const error = (json as ErrorBody | null)?.error;
        const failure = new WebhookChatError(response.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `HTTP ${response.status}`);
        if (response.status !== 429 && response.status < 500) throw failure;
        lastError = failure;
        const retryAfter = Number(response.headers.get('retry-after'));
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 30_000) : 200 * 2 ** attempt);
      } catch (error) {
        if (error instanceof WebhookChatError && error.status !== 429 && error.status < 500) throw error;
        lastError = error;
        if (attempt < this.retries) await sleep(200 * 2 ** attempt);
      }
    }
    throw lastError;
  }

  /**
   * Answers a task. Safe to retry: the same `messageId` is stored once (one is generated for you
   * and reused across this call's own retries).
   *
   * @example
   * ```ts
   * const client = new AgentClient({ baseUrl: 'http://localhost:3000', token: process.env.AGENT_TOKEN! });
   * await client.respond(event.taskId, 'Here is your answer', { inReplyTo: event.messageId });
   * ```
   */
  async respond(taskId: string, text: string, options: RespondOptions = {}): Promise<WebhookResponseResponse> {
    return this.request('POST', '/api/communications/webhook-response', {
      taskId,
      response: text,
      final: options.final ?? true,
      messageId: options.messageId ?? `msg_${randomUUID().replaceAll('-', '')}`,
      ...(options.inReplyTo === undefined ? {} : { inReplyTo: options.inReplyTo }),
    });
  }

  /**
   * Shows a transient status such as "working" on the user's page; it expires by itself unless
   * posted again.
   *
   * @example
   * ```ts
   * await client.setStatus(event.taskId, 'working', 'Searching the docs…');
   * ```
   */
  async setStatus(taskId: string, status: string, text?: string): Promise<WebhookResponseResponse> {
    return this.request('POST', '/api/communications/webhook-response', { taskId, status, ...(text === undefined ? {} : { statusText: text }) });
  }

  /**
   * Pull mode: waits up to `waitSeconds` (max 30) for tasks, each leased to you until acknowledged.
   *
   * @example
   * ```ts
   * const tasks = await client.pull({ waitSeconds: 30 });
   * ```
   */
  async pull(options: { waitSeconds?: number; limit?: number } = {}): Promise<PulledTask[]> {
    const query = new URLSearchParams({ wait: String(options.waitSeconds ?? 30), limit: String(options.limit ?? 10) });
    const body = await this.request<{ tasks: PulledTask[] }>('GET', `/api/agent/tasks?${query.toString()}`);
    return body.tasks;
  }

  /**
   * Pull mode: marks a task received, so it is not offered again.
   *
   * @example
   * ```ts
   * await client.ack(task.deliveryId);
   * ```
   */
  async ack(deliveryId: string): Promise<void> {
    await this.request('POST', `/api/agent/tasks/${encodeURIComponent(deliveryId)}/ack`);
  }

  /**
   * Pull mode: a loop that pulls tasks, calls `handler` for each, and acknowledges it once the
   * handler resolves (a handler that throws leaves it to be offered again after its lease).
   * Runs until `signal` aborts.
   *
   * @example
   * ```ts
   * const stop = new AbortController();
   * await client.runPullLoop(async (event) => {
   *   if (event.type === 'task.message') await client.respond(event.taskId, `Echo: ${event.message}`);
   * }, { signal: stop.signal });
   * ```
   */
  async runPullLoop(
    handler: (event: AgentWebhook, task: PulledTask) => Promise<void>,
    options: { signal?: AbortSignal; waitSeconds?: number; onError?: (error: unknown) => void } = {},
  ): Promise<void> {
    while (!options.signal?.aborted) {
      let tasks: PulledTask[];
      try {
        tasks = await this.pull({ waitSeconds: options.waitSeconds ?? 30 });
      } catch (error) {
        if (options.signal?.aborted) return;
        options.onError?.(error);
        await sleep(1000);
        continue;
      }
      for (const task of tasks) {
        try {
          await handler(task.event, task);
          await this.ack(task.deliveryId);
        } catch (error) {
          options.onError?.(error);
        }
      }
    }
  }
}
