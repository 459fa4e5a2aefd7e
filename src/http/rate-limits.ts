/**
 * Rate limits (@fastify/rate-limit): per agent token on agent endpoints, per browser session on
 * page endpoints. Keys are hashes, so no credential ends up in the limiter's memory.
 */
import type { FastifyRequest } from 'fastify';
import type { RelayContext } from '../relay/context.js';
import { sha256 } from '../relay/ids.js';
import { SESSION_COOKIE, bearerToken } from './auth.js';

interface RouteLimit {
  max: number;
  timeWindow: number;
  keyGenerator: (request: FastifyRequest) => string;
}

export function agentRateLimit(ctx: RelayContext): RouteLimit {
  return {
    max: ctx.config.rateLimitAgentPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const token = bearerToken(request);
      if (token) return `agent:${sha256(token)}`;
      const id = request.headers['webhook-id'];
      // Signed requests are keyed per caller address: this runs before the body is read, and the
      // agent is proven only once the signature is checked. Keying by the agent named in the body
      // would let forged requests use up that agent's budget (docs/operating.md, Limits).
      return typeof id === 'string' ? `signed:${request.ip}` : `anon:${request.ip}`;
    },
  };
}

export function sessionRateLimit(ctx: RelayContext): RouteLimit {
  return {
    max: ctx.config.rateLimitSessionPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const cookie = request.cookies[SESSION_COOKIE];
      return typeof cookie === 'string' ? `session:${sha256(cookie)}` : `ip:${request.ip}`;
    },
  };
}
