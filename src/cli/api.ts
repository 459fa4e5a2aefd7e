/** Calls the Webhook Chat HTTP API for the CLI, turning every failure into a CliError with its exit code. */
import { CliError, EXIT, UsageError } from './errors.js';

/** Seconds a request may take before the server counts as unreachable. */
const TIMEOUT_MS = 30_000;

export interface ApiCall {
  server: string;
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  /** Sent as `Authorization: Bearer …`. */
  token?: string;
  body?: unknown;
}

export function baseUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server must be a URL like http://127.0.0.1:3000, got "${server}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must be http or https, got "${server}".`);
  return server.replace(/\/+$/, '');
}

/** Performs the call; resolves with the parsed JSON body of a 2xx answer. */
export async function callApi<T>(call: ApiCall): Promise<T> {
  const base = baseUrl(call.server);
  let response: Response;
  try {
    response = await fetch(`${base}${call.path}`, {
      method: call.method,
      headers: {
        ...(call.token ? { authorization: `Bearer ${call.token}` } : {}),
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new CliError(EXIT.UNREACHABLE, `Cannot reach Webhook Chat at ${base}: ${reason(error)}. Is it running? (--server or WEBHOOK_CHAT_URL)`);
  }
  const text = await response.text().catch(() => '');
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: a proxy's error page, say. Reported below by status.
  }
  if (response.ok) return body as T;
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  const code = error?.code ?? `HTTP_${response.status}`;
  const hint = response.status === 401 ? ` ${authHint(call.path)}` : '';
  throw new CliError(EXIT.REFUSED, `${code} (HTTP ${response.status}): ${error?.message ?? (text.slice(0, 200) || 'no details')}${hint}`);
}

function authHint(path: string): string {
  return path.startsWith('/api/admin') || path.startsWith('/api/agents')
    ? 'Check --admin-token (or ADMIN_TOKEN): it must equal the server\'s ADMIN_TOKEN.'
    : 'Check --token (or AGENT_TOKEN): it must be the agent token shown when the agent was created or rotated.';
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = error.cause as (Error & { code?: string }) | undefined;
  return cause?.code ?? cause?.message ?? error.message;
}
