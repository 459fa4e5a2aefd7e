/**
 * Every failure becomes `{ success: false, error: { code, message } }`. A client's mistake is a
 * 4xx that names the problem; only our own faults are 5xx, and those are logged.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERRORS, type ErrorCode, isAppError } from '../errors.js';
import { StoreUnavailableError } from '../store/store-errors.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_BAD_URL: 'MALFORMED_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return reply.status(error.statusCode).send({ success: false, error: { code: error.code, message: error.message } });
}

/** Maps anything thrown to an AppError; unknown errors become INTERNAL. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (error instanceof StoreUnavailableError) {
    return new AppError('SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly.', { retryAfter: 5, cause: error });
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return new AppError('VALIDATION_FAILED', fastifyError.message ?? ERRORS.VALIDATION_FAILED.message);
  }
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) {
    const message = mapped === 'BODY_TOO_LARGE' ? 'The body is larger than the limit.' : (fastifyError.message ?? '');
    return new AppError(mapped, message || undefined);
  }
  const status = fastifyError.statusCode;
  if (status === 429) return new AppError('RATE_LIMITED', fastifyError.message);
  if (status === 414) return new AppError('URI_TOO_LONG');
  if (status === 431) return new AppError('HEADERS_TOO_LARGE');
  if (status !== undefined && status >= 400 && status < 500) {
    return new AppError(status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', fastifyError.message);
  }
  return new AppError('INTERNAL', undefined, { cause: error });
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (malformed request line, headers
 * over the limit) still get a JSON body in our shape.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const appError = new AppError(error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST');
  const body = JSON.stringify({ success: false, error: { code: appError.code, message: appError.message } });
  socket.end(
    `HTTP/1.1 ${appError.statusCode} ${appError.statusCode === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Errors Fastify raises before routing (a malformed URL, an over-long parameter). */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  sendError(reply, toAppError(error));
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: appError.code }, 'request rejected');
    }
    return sendError(reply, appError);
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new AppError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0] ?? ''}.`));
  });
}
