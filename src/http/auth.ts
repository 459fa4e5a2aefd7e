/**
 * Who is calling: a browser session (cookie), an agent (bearer token or Standard Webhooks
 * signature), or the operator (admin token). Secrets are compared by hash or in constant time and
 * never logged.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { agentByToken, agentOfTask, verifyAgentSignature } from '../relay/agents.js';
import type { RelayContext } from '../relay/context.js';
import { newSessionToken, sha256 } from '../relay/ids.js';
import type { Reader } from '../relay/readers.js';
import type { AgentRecord } from '../store/records.js';

export const SESSION_COOKIE = 'wc_session';
/** Standard Webhooks' tolerance for the signature timestamp. */
const SIGNATURE_TOLERANCE_S = 5 * 60;

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? (match[1] as string) : null;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(sha256(a));
  const y = Buffer.from(sha256(b));
  return timingSafeEqual(x, y);
}

export function isAdmin(ctx: RelayContext, request: FastifyRequest): boolean {
  const token = bearerToken(request);
  return token !== null && ctx.config.adminToken !== null && sameSecret(token, ctx.config.adminToken);
}

export function requireAdmin(ctx: RelayContext, request: FastifyRequest): void {
  if (ctx.config.adminToken === null) {
    throw new AppError('UNAUTHENTICATED', 'The admin API is disabled: set ADMIN_TOKEN to enable it.');
  }
  if (!isAdmin(ctx, request)) throw new AppError('UNAUTHENTICATED', 'Send Authorization: Bearer <ADMIN_TOKEN>.');
}

/** The hash of the caller's session cookie, or null when there is none. */
export function sessionHashOf(request: FastifyRequest): string | null {
  const value = request.cookies[SESSION_COOKIE];
  return typeof value === 'string' && value.length >= 32 && value.length <= 128 ? sha256(value) : null;
}

/** The caller's session, created (and the cookie set) when absent. */
export function ensureSession(ctx: RelayContext, request: FastifyRequest, reply: FastifyReply): string {
  const existing = sessionHashOf(request);
  if (existing !== null) return existing;
  const token = newSessionToken();
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: (ctx.config.publicUrl ?? '').startsWith('https:'),
  });
  return sha256(token);
}

/**
 * Cookie-authenticated writes must come from our own pages: a browser always sends Origin on a
 * cross-site POST, so a foreign Origin is refused (on top of SameSite=Lax). Non-browser clients
 * send no Origin and are not cookie-borne CSRF vectors.
 */
export function checkOrigin(ctx: RelayContext, request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const allowed = new Set<string>();
  const host = request.headers.host;
  if (host) {
    allowed.add(`http://${host}`);
    allowed.add(`https://${host}`);
  }
  if (ctx.config.publicUrl) allowed.add(new URL(ctx.config.publicUrl).origin);
  if (!allowed.has(origin)) throw new AppError('ORIGIN_REJECTED', `Requests from origin ${origin} are not accepted.`);
}

/** Who may read a task: the admin, the task's agent (bearer), or a browser session. */
export async function readerOf(ctx: RelayContext, request: FastifyRequest): Promise<Reader> {
  const token = bearerToken(request);
  if (token !== null) {
    if (isAdmin(ctx, request)) return { kind: 'admin' };
    const agent = await agentByToken(ctx, token);
    if (agent === null) throw new AppError('UNAUTHENTICATED', 'The bearer token is not valid.');
    return { kind: 'agent', agentId: agent.id };
  }
  return { kind: 'session', sessionHash: sessionHashOf(request) };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

export interface AuthenticatedAgent {
  agent: AgentRecord;
  /**
   * The request's `webhook-id`: verified by the signature of a signed request, or sent beside a
   * bearer token as an idempotency key. Either way a repeat of it stores nothing new.
   */
  webhookId?: string;
}

/** Standard Webhooks does not bound webhook-id; we do, since it becomes a stored key. */
function checkWebhookIdLength(id: string, code: 'SIGNATURE_INVALID' | 'VALIDATION_FAILED'): void {
  if (id.length === 0 || id.length > 256) throw new AppError(code, 'webhook-id must be 1 to 256 characters.');
}

/**
 * Authenticates an agent webhook for `taskId`: a bearer token, or a Standard Webhooks signature
 * made with the secret of the agent that owns the task.
 */
export async function authenticateAgent(
  ctx: RelayContext,
  request: FastifyRequest,
  taskId: string,
): Promise<AuthenticatedAgent> {
  const token = bearerToken(request);
  if (token !== null) {
    const agent = await agentByToken(ctx, token);
    if (agent === null) throw new AppError('UNAUTHENTICATED', 'The bearer token is not valid.');
    // A retried bearer call that repeats its webhook-id is the same answer, as for a signed call.
    const webhookId = header(request, 'webhook-id');
    if (webhookId === undefined) return { agent };
    checkWebhookIdLength(webhookId, 'VALIDATION_FAILED');
    return { agent, webhookId };
  }
  const id = header(request, 'webhook-id');
  const timestamp = header(request, 'webhook-timestamp');
  const signature = header(request, 'webhook-signature');
  if (id === undefined && timestamp === undefined && signature === undefined) {
    throw new AppError(
      'UNAUTHENTICATED',
      'Authenticate with Authorization: Bearer <agent token>, or sign with webhook-id, webhook-timestamp and webhook-signature.',
    );
  }
  if (id === undefined || timestamp === undefined || signature === undefined) {
    throw new AppError('SIGNATURE_INVALID', 'A signed request needs all of webhook-id, webhook-timestamp and webhook-signature.');
  }
  checkWebhookIdLength(id, 'SIGNATURE_INVALID');
  const seconds = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(ctx.now() / 1000 - seconds) > SIGNATURE_TOLERANCE_S) {
    throw new AppError('SIGNATURE_INVALID', 'webhook-timestamp is missing or more than 5 minutes from now.');
  }
  // The signing secret is the task's agent's (null: no such task). A failure against a cached
  // record is checked once more against the stored one: the secret may have just been rotated.
  const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
  const found = await agentOfTask(ctx, taskId);
  let agent = found.agent;
  if (agent === null) throw new AppError('TASK_NOT_FOUND');
  if (!verifyAgentSignature(agent, request.rawBody ?? '', headers, ctx.now())) {
    if (found.cached) agent = (await agentOfTask(ctx, taskId, true)).agent;
    if (agent === null || !verifyAgentSignature(agent, request.rawBody ?? '', headers, ctx.now())) throw new AppError('SIGNATURE_INVALID');
  }
  return { agent, webhookId: id };
}
