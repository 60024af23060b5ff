import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { InvalidCursorError } from '../../projections/register/queries.js';
import { InvalidSpanCursorError } from '../document-store/port.js';
import { QueryBudgetExceededError, ServerBusyError } from '../application/query-budget.js';
import { DomainError } from '../../domain/shared/errors.js';
import { EventStoreError, IntegrityError, StoreCorruptError, VersionConflictError } from '../event-store/errors.js';
import { BodyRefusedError, JSON_MEDIA_TYPE } from './json-body.js';
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

const DOMAIN_STATUS = { invalid: 400, not_found: 404, conflict: 409, rule: 422 } as const;
const DOMAIN_TITLE = { invalid: 'Bad Request', not_found: 'Not Found', conflict: 'Illegal lifecycle step', rule: 'Rule violated' } as const;

/** Maps the errors we know to problems; undefined for anything else (the handler masks it as 500). */
export function problemFor(error: FastifyError | Error, request: FastifyRequest): Problem | undefined {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as FastifyError).validationContext ?? 'body';
    const errors = error.validation.map((issue) => ({
      in: where,
      field: issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || (issue.params?.['issue'] as { keys?: string[] } | undefined)?.keys?.join(',') || '(root)',
      rule: issue.message ?? 'invalid',
    }));
    const first = errors[0]!;
    return {
      status: 400,
      title: 'Bad Request',
      code: 'VALIDATION_FAILED',
      detail: `${first.in}.${first.field}: ${first.rule}`,
      extensions: { errors },
    };
  }
  if (error instanceof DomainError) {
    if (error.code === 'AGREEMENT_EXISTS') return { status: 409, title: 'Conflict', code: error.code, detail: error.message, extensions: error.details };
    return { status: DOMAIN_STATUS[error.kind], title: DOMAIN_TITLE[error.kind], code: error.code, detail: error.message, extensions: error.details };
  }
  if (error instanceof VersionConflictError) {
    const conditional = request.headers['if-match'] !== undefined;
    return conditional
      ? { status: 412, title: 'Precondition Failed', code: 'REVISION_MISMATCH', detail: `If-Match: the agreement is at revision ${String(error.actual)}, not ${String(error.expected)}`, extensions: { currentRevision: error.actual } }
      : { status: 409, title: 'Conflict', code: 'CONCURRENT_WRITES', detail: 'too many concurrent writes to this agreement; try again', extensions: {} };
  }
  if (error instanceof ServerBusyError) {
    return { status: 503, title: 'Service Unavailable', code: 'SERVER_BUSY', detail: error.message, retryAfterSeconds: error.retryAfterSeconds };
  }
  if (error instanceof QueryBudgetExceededError) return { status: 503, title: 'Service Unavailable', code: 'QUERY_BUDGET_EXCEEDED', detail: error.message, retryAfterSeconds: 60 };
  if (error instanceof BodyRefusedError) return error.problem;
  if ((error as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const given = request.headers['content-type'];
    const what = given === undefined ? 'none given' : JSON.stringify(given.length > 60 ? `${given.slice(0, 60)}...` : given);
    return { status: 415, title: 'Unsupported Media Type', code: 'UNSUPPORTED_MEDIA_TYPE', detail: `Content-Type: ${what} is not accepted; the only allowed type is ${JSON_MEDIA_TYPE}`, extensions: { allowed: [JSON_MEDIA_TYPE] } };
  }
  if (error instanceof InvalidCursorError || error instanceof InvalidSpanCursorError) return { status: 400, title: 'Bad Request', code: 'INVALID_CURSOR', detail: error.message };
  if (error instanceof EventStoreError) {
    if (error.code === 'EVENT_TOO_LARGE') return { status: 413, title: 'Content Too Large', code: error.code, detail: error.message };
    if (error.code === 'INVALID_APPEND') return { status: 400, title: 'Bad Request', code: error.code, detail: error.message };
    if (error instanceof IntegrityError || error instanceof StoreCorruptError) return damagedData(error, request);
    if (error.code === 'STORE_UNAVAILABLE' || error.code === 'STORE_CLOSED') {
      return { status: 503, title: 'Service Unavailable', code: error.code, detail: 'the event store cannot be used right now; nothing was written' };
    }
  }
  return undefined;
}

/**
 * Damaged data is named, not masked: 500 INTEGRITY_BROKEN for an event that is not what was
 * appended (no request of the client's caused it and none can fix it; it lasts until the log is
 * restored), 503 STORE_CORRUPT for a page of the file that cannot be read. Either refuses only
 * the agreement whose events it touches; nothing is written to it.
 */
function damagedData(error: IntegrityError | StoreCorruptError, request: FastifyRequest): Problem {
  request.log.warn({ code: error.code, detail: error.message }, 'damaged data refused');
  if (error instanceof IntegrityError) {
    const { stream, position, revision, eventId, reason } = error;
    return { status: 500, title: 'Integrity broken', code: error.code, detail: error.message, extensions: { stream, position, revision, eventId, reason } };
  }
  const at = Object.fromEntries(Object.entries({ stream: error.stream, position: error.position, revision: error.revision }).filter(([, value]) => value !== undefined));
  return { status: 503, title: 'Store corrupt', code: error.code, detail: error.message, extensions: at };
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
