/** Typed calls to the Webhook Chat HTTP API. The session is an HttpOnly cookie; we only send it. */
import type {
  AssignUserTaskRequest,
  AssignUserTaskResponse,
  CancelTurnRequest,
  ErrorBody,
  GetResponsesResponse,
  ListAgentsResponse,
  TaskView,
} from '../../../src/protocol/index.js';
import { reportFailure, reportSuccess } from './connectivity.js';
import { ApiError, NetworkError } from './errors.js';

export { ApiError, NetworkError } from './errors.js';

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const { error } = value;
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string';
}

interface CallOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
}

async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? 'GET',
      credentials: 'same-origin',
      cache: 'no-store',
      headers:
        options.body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal,
    });
  } catch {
    // The caller's own abort is not a connectivity problem; a timeout or refused connection is.
    if (options.signal?.aborted) throw options.signal.reason;
    reportFailure();
    throw new NetworkError();
  }
  if (res.status >= 502 && res.status <= 504) {
    reportFailure();
    throw new NetworkError();
  }
  reportSuccess();
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    if (isErrorBody(body)) throw new ApiError(res.status, body.error.code, body.error.message);
    throw new ApiError(res.status, `HTTP_${res.status}`, `The server answered ${res.status} ${res.statusText}`.trim());
  }
  return body as T;
}

export function listAgents(signal?: AbortSignal): Promise<ListAgentsResponse> {
  return call('/api/agents', { signal });
}

export function assignUserTask(request: AssignUserTaskRequest): Promise<AssignUserTaskResponse> {
  return call('/api/tasks/assign-user-task', { method: 'POST', body: request });
}

export function cancelTurn(request: CancelTurnRequest): Promise<{ success: true; task: TaskView }> {
  return call('/api/tasks/cancel', { method: 'POST', body: request });
}

export interface GetResponsesQuery {
  after: number;
  /** Long-poll: hold up to this many seconds for something newer. */
  wait?: number;
  /** Long-poll: also return when the task's version differs from this. */
  version?: number | null;
}

export function getResponses(
  taskId: string,
  query: GetResponsesQuery,
  signal?: AbortSignal,
): Promise<GetResponsesResponse> {
  const params = new URLSearchParams({ taskId, after: String(query.after) });
  if (query.wait !== undefined) params.set('wait', String(query.wait));
  if (query.wait !== undefined && query.version != null) params.set('version', String(query.version));
  const timeoutMs = query.wait === undefined ? 15_000 : (query.wait + 15) * 1000;
  return call(`/api/communications/get-responses?${params.toString()}`, { signal, timeoutMs });
}
