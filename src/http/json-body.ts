/**
 * JSON bodies are parsed from text we keep, because webhook signatures are computed over the exact
 * bytes received. secure-json-parse refuses prototype-poisoning keys.
 */
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received, for signature verification. */
    rawBody?: string;
  }
}

export function registerJsonBody(app: FastifyInstance): void {
  // JSON only: any other media type is answered 415 rather than parsed into something unexpected.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json(;.*)?$/i, { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.trim() === '') {
      done(new AppError('INVALID_JSON', 'The body is empty; send a JSON object.'), undefined);
      return;
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      done(new AppError('INVALID_JSON', `The body is not valid JSON: ${detail}`), undefined);
    }
  });
}
