/**
 * Refusals the domain gives, each with a stable `code`. The HTTP layer maps kinds to statuses:
 * invalid -> 400, not_found -> 404, conflict -> 409 (illegal lifecycle step), rule -> 422.
 */
export type RefusalKind = 'invalid' | 'not_found' | 'conflict' | 'rule';

export class DomainError extends Error {
  constructor(
    readonly kind: RefusalKind,
    readonly code: string,
    message: string,
    /** Facts that help the caller, e.g. currentState and allowedSteps, or the two dates. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const refuse = {
  invalid: (code: string, message: string, details?: Record<string, unknown>) => new DomainError('invalid', code, message, details),
  notFound: (code: string, message: string, details?: Record<string, unknown>) => new DomainError('not_found', code, message, details),
  conflict: (code: string, message: string, details?: Record<string, unknown>) => new DomainError('conflict', code, message, details),
  rule: (code: string, message: string, details?: Record<string, unknown>) => new DomainError('rule', code, message, details),
};
