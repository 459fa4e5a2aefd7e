/** Agents: registration, credential rotation and authentication (bearer token or signature). */
import type { AgentCredentials } from '../protocol/index.js';
import { AppError } from '../errors.js';
import type { AgentRecord } from '../store/records.js';
import { UniqueViolationError } from '../store/store-errors.js';
import type { RelayContext } from './context.js';
import { newAgentId, newAgentToken, newSigningSecret, sha256 } from './ids.js';
import { StandardWebhook } from './standard-webhook.js';

export interface NewAgentInput {
  id?: string;
  name: string;
  description?: string;
  endpointUrl?: string;
}

export async function createAgent(ctx: RelayContext, input: NewAgentInput): Promise<AgentCredentials> {
  const id = input.id ?? newAgentId();
  if (await ctx.store.getAgent(id)) throw new AppError('AGENT_EXISTS', `An agent with id "${id}" already exists.`);
  const token = newAgentToken();
  const signingSecret = newSigningSecret();
  const now = ctx.now();
  const record: AgentRecord = {
    id,
    name: input.name,
    description: input.description ?? null,
    endpointUrl: input.endpointUrl ?? null,
    endpointDisabledAt: null,
    tokenHash: sha256(token),
    signingSecret,
    previousTokenHash: null,
    previousSigningSecret: null,
    previousValidUntil: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.store.insertAgent(record);
  } catch (error) {
    // The check above is only a fast path: concurrent creations of one ID race past it, and the
    // store's unique key decides which one wins.
    if (error instanceof UniqueViolationError) {
      throw new AppError('AGENT_EXISTS', `An agent with id "${id}" already exists.`, { cause: error });
    }
    throw error;
  }
  return { success: true, id, name: input.name, token, signingSecret };
}

/**
 * New token and signing secret. The old ones keep working for `graceMs` (default 24 h), so an
 * agent can be redeployed with the new credentials without dropping answers.
 */
export async function rotateAgentCredentials(
  ctx: RelayContext,
  id: string,
  graceMs = 24 * 3_600_000,
): Promise<AgentCredentials> {
  const agent = await ctx.store.getAgent(id);
  if (agent === null) throw new AppError('AGENT_NOT_FOUND');
  const token = newAgentToken();
  const signingSecret = newSigningSecret();
  const now = ctx.now();
  await ctx.store.updateAgent(id, {
    tokenHash: sha256(token),
    signingSecret,
    previousTokenHash: graceMs > 0 ? agent.tokenHash : null,
    previousSigningSecret: graceMs > 0 ? agent.signingSecret : null,
    previousValidUntil: graceMs > 0 ? now + graceMs : null,
    updatedAt: now,
  });
  forgetCachedTokens(ctx);
  return { success: true, id, name: agent.name, token, signingSecret };
}

/**
 * Credential lookups are on every agent request, so hits are remembered briefly: tokens by their
 * hash, and each task's agent for signed webhooks (agentOfTask). A rotated or revoked token or
 * secret therefore stops working within TOKEN_CACHE_MS (on other instances too).
 */
export const TOKEN_CACHE_MS = 2000;
const TOKEN_CACHE_MAX = 10_000;
const tokenCache = new WeakMap<RelayContext, Map<string, { agent: AgentRecord; until: number }>>();

export async function agentByToken(ctx: RelayContext, token: string): Promise<AgentRecord | null> {
  const hash = sha256(token);
  const now = ctx.now();
  let cache = tokenCache.get(ctx);
  if (!cache) {
    cache = new Map();
    tokenCache.set(ctx, cache);
  }
  const hit = cache.get(hash);
  if (hit && hit.until > now) return hit.agent;
  const agent = await ctx.store.getAgentByTokenHash(hash, now);
  if (agent === null) {
    cache.delete(hash);
    return null;
  }
  if (cache.size >= TOKEN_CACHE_MAX) cache.clear();
  cache.set(hash, { agent, until: now + TOKEN_CACHE_MS });
  return agent;
}

/** Forgets cached credentials at once (after a rotation on this instance). */
export function forgetCachedTokens(ctx: RelayContext): void {
  tokenCache.get(ctx)?.clear();
  const agents = agentCache.get(ctx);
  agents?.byAgent.clear();
}

/** Signed webhooks: which agent a task belongs to (never changes), and each agent's record, briefly. */
interface AgentCache {
  taskAgent: Map<string, string>;
  byAgent: Map<string, { agent: AgentRecord; until: number }>;
}
const TASK_AGENT_MAX = 100_000;
const agentCache = new WeakMap<RelayContext, AgentCache>();

/**
 * The agent a task belongs to, whose secret signs its webhooks (null when there is no such task),
 * and whether the record came from the cache. With `fresh`, the cache is skipped: after a signature
 * failed against a cached record, so that a secret just rotated on another instance is accepted.
 */
export async function agentOfTask(ctx: RelayContext, taskId: string, fresh = false): Promise<{ agent: AgentRecord | null; cached: boolean }> {
  let cache = agentCache.get(ctx);
  if (!cache) {
    cache = { taskAgent: new Map(), byAgent: new Map() };
    agentCache.set(ctx, cache);
  }
  const now = ctx.now();
  const agentId = cache.taskAgent.get(taskId);
  const hit = agentId === undefined ? undefined : cache.byAgent.get(agentId);
  if (!fresh && hit && hit.until > now) return { agent: hit.agent, cached: true };
  const agent = await ctx.store.getAgentOfTask(taskId);
  if (agent === null) return { agent, cached: false };
  if (cache.taskAgent.size >= TASK_AGENT_MAX) cache.taskAgent.clear();
  cache.taskAgent.set(taskId, agent.id);
  if (cache.byAgent.size >= TOKEN_CACHE_MAX) cache.byAgent.clear();
  cache.byAgent.set(agent.id, { agent, until: now + TOKEN_CACHE_MS });
  return { agent, cached: false };
}

/** A verifier per secret: building one decodes the secret, on every webhook otherwise. */
const verifiers = new Map<string, StandardWebhook>();
function verifierFor(secret: string): StandardWebhook {
  let verifier = verifiers.get(secret);
  if (verifier === undefined) {
    if (verifiers.size >= TOKEN_CACHE_MAX) verifiers.clear();
    verifier = new StandardWebhook(secret);
    verifiers.set(secret, verifier);
  }
  return verifier;
}

/** Signature headers as Standard Webhooks names them. */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Verifies a Standard Webhooks signature over the raw body with the agent's secret (or, during a
 * rotation's grace period, the previous one). The package enforces the 5-minute tolerance.
 */
export function verifyAgentSignature(
  agent: AgentRecord,
  rawBody: string,
  headers: SignatureHeaders,
  now: number,
): boolean {
  const secrets = [agent.signingSecret];
  if (agent.previousSigningSecret && agent.previousValidUntil !== null && agent.previousValidUntil > now) {
    secrets.push(agent.previousSigningSecret);
  }
  for (const secret of secrets) {
    try {
      // The route has parsed the body already; the package would parse it again.
      verifierFor(secret).verify(rawBody, { ...headers }, { jsonParse: false });
      return true;
    } catch {
      // try the next secret
    }
  }
  return false;
}
