/** A tiny cookie-keeping HTTP client: one instance is one browser session. */

export class Session {
  private cookie = '';

  constructor(private readonly baseUrl: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const set = response.headers.getSetCookie();
    for (const c of set) {
      const pair = c.split(';')[0];
      if (pair?.startsWith('wc_session=')) this.cookie = pair;
    }
    return response;
  }

  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }> {
    const response = await this.request(method, path, body, headers);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
  }

  /** Sends a user message; returns the parsed answer. */
  async send(agentId: string, message: string, extra: Record<string, unknown> = {}) {
    return this.json<{ success: boolean; taskId: string; messageId: string; seq: number; duplicate: boolean; task: { state: string; version: number; turns: Array<{ messageId: string; state: string; delivery: { state: string; attempts: number } | null }> } }>(
      'POST',
      '/api/tasks/assign-user-task',
      { agentId, message, ...extra },
    );
  }

  async responses(taskId: string, query = '') {
    return this.json<{ success: boolean; responses: Array<{ messageId: string; seq: number; response: string; final: boolean; inReplyTo: string | null }>; cursor: number; taskId: string; task: { state: string; version: number; agentStatus: { status: string; text: string | null } | null; turns: Array<{ messageId: string; state: string; delivery: { state: string; attempts: number; lastError: string | null } | null }> } }>(
      'GET',
      `/api/communications/get-responses?taskId=${encodeURIComponent(taskId)}${query}`,
    );
  }
}

/**
 * Retries `assertion` until it passes or `timeoutMs` passes (then throws its last error).
 * Give every assertion inside a message: a bare failing `assert.ok(x)` makes Node re-read the test
 * source to describe it, which blocks the event loop for a long time on every retry.
 */
export async function eventually<T>(assertion: () => Promise<T> | T, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await assertion();
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  throw lastError;
}
