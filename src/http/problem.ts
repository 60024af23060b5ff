import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problemFor } from './errors.js';
import { BARE_SECURITY_HEADERS } from './security-headers.js';

/** RFC 9457 problem details, with our stable `code`; the request id is added when sent. */
export interface Problem {
  title: string;
  status: number;
  detail: string;
  code: string;
  /** Members that say more about this kind of problem (e.g. currentState, allowedSteps). */
  extensions?: Record<string, unknown>;
  /** When to ask again (503, 429): sent as Retry-After and as `retryAfterSeconds`. */
  retryAfterSeconds?: number;
  /** Response headers the problem calls for (e.g. Accept-Encoding with a 415 for a content coding). */
  headers?: Record<string, string>;
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  const { extensions, headers, ...core } = problem;
  if (headers) reply.headers(headers);
  if (problem.retryAfterSeconds !== undefined) reply.header('retry-after', String(problem.retryAfterSeconds));
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({ type: `urn:agreement-ledger:problem:${problem.code.toLowerCase()}`, ...core, ...extensions, requestId: reply.request.id });
}

/** One error handler for the whole app: 4xx say what was wrong, 5xx say nothing but the request id. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = problemFor(error, request);
    if (problem) return sendProblem(reply, problem);
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, { title: 'Internal Server Error', status, code: 'INTERNAL', detail: `Something went wrong; quote request id ${request.id}.` });
    }
    return sendProblem(reply, { title: titleFor(status), status, code: fastifyCode(error.code), detail: error.message });
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { title: 'Not Found', status: 404, code: 'ROUTE_NOT_FOUND', detail: `No route ${request.method} ${request.url}` }),
  );
}

/**
 * Errors Fastify raises before any route runs (a malformed percent-encoding, a path parameter
 * longer than the router takes) are problems too: its default answer is plain JSON without a code.
 * No hook has run for them, so the security headers are set here.
 */
export function sendFrameworkProblem(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  reply.headers(BARE_SECURITY_HEADERS);
  sendProblem(reply, { title: titleFor(status), status, code: fastifyCode(error.code), detail: error.message });
}

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_BAD_URL: 'BAD_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'PARAMETER_TOO_LONG',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
};

function fastifyCode(code: string | undefined): string {
  return (code && FASTIFY_CODES[code]) ?? (code?.startsWith('FST_') ? 'BAD_REQUEST' : (code ?? 'BAD_REQUEST'));
}

export function titleFor(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
    412: 'Precondition Failed', 413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  };
  return titles[status] ?? 'Client Error';
}
