import type { FastifyError, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { InvalidCursorError } from '../../projections/register/queries.js';
import { DomainError } from '../../domain/shared/errors.js';
import { EventStoreError, VersionConflictError } from '../event-store/errors.js';
import type { Problem } from './problem.js';

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
  if (error instanceof InvalidCursorError) return { status: 400, title: 'Bad Request', code: 'INVALID_CURSOR', detail: error.message };
  if (error instanceof EventStoreError) {
    if (error.code === 'EVENT_TOO_LARGE') return { status: 413, title: 'Content Too Large', code: error.code, detail: error.message };
    if (error.code === 'INVALID_APPEND') return { status: 400, title: 'Bad Request', code: error.code, detail: error.message };
    if (error.code === 'STORE_UNAVAILABLE' || error.code === 'STORE_CLOSED') {
      return { status: 503, title: 'Service Unavailable', code: error.code, detail: 'the event store cannot be used right now; nothing was written' };
    }
  }
  return undefined;
}
