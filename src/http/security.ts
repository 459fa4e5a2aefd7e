/**
 * Security headers (helmet). Scripts and styles load only from our own origin: the chat page is
 * built without inline scripts. Swagger UI at /docs needs inline styles, so only its routes relax
 * style-src.
 *
 * helmet is used directly rather than through @fastify/helmet: the plugin builds a new helmet
 * middleware (and re-parses the CSP) on every request, which cost about 5% of a webhook's CPU.
 * With this configuration helmet's headers do not depend on the request, so they are captured
 * from helmet once, at start, and each reply gets that same set through Fastify's own headers
 * (sent in one writeHead), instead of helmet's dozen middlewares and setHeader calls each time.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, onSendHookHandler } from 'fastify';
import helmet from 'helmet';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * For a route whose answer may become a long-lived stream: its security headers are added when
     * Fastify sends a reply (every refusal and error) rather than on arrival, so an open stream
     * carries no header block but its own (Node keeps one per response for the response's life).
     * The route must also use `securityHeadersOnSend` as its onSend hook.
     */
    securityHeadersOnSend?: boolean;
  }
}

export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
};

export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'";

const applyHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  // SSE and the chat page are same-origin; no cross-origin embedding is wanted.
  crossOriginEmbedderPolicy: false,
});

/** The headers helmet sets (and none it removes), captured by running it once on a recording response. */
export function captureHelmetHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  applyHeaders({ headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, (error) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished) throw new Error('helmet did not set its headers synchronously');
  return Object.freeze(headers);
}

export const SECURITY_HEADERS = captureHelmetHeaders();

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.securityHeadersOnSend !== true) reply.headers(SECURITY_HEADERS);
    done();
  });
}

/** The onSend hook of a route with `config.securityHeadersOnSend`: the same headers, at send time. */
export const securityHeadersOnSend: onSendHookHandler = (request, reply, payload, done) => {
  reply.headers(SECURITY_HEADERS);
  done(null, payload);
};
