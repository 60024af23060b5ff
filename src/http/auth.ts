import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem.js';
import type { Principal, Role, TokenBook } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; a route without it is public (health, documentation). */
    roles?: readonly Role[];
  }
}

/**
 * Every route that names roles needs a bearer token of one of them: 401 without one, 403 with the
 * wrong one. One callback hook per request does this and sets X-Request-Id first, so that every
 * answer carries it (each hook, and a promise per hook, shows at ten thousand requests a second).
 */
export function registerAuth(app: FastifyInstance, tokens: TokenBook): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    reply.header('x-request-id', request.id);
    const roles = request.routeOptions.config?.roles;
    if (!roles) return done();
    const header = request.headers.authorization;
    const principal = typeof header === 'string' ? identified(request.raw.socket, header, tokens) : undefined;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="agreement-ledger"');
      sendProblem(reply, { status: 401, title: 'Unauthorized', code: 'UNAUTHENTICATED', detail: 'Authorization: a valid bearer token is required' });
      return;
    }
    request.principal = principal;
    // Every later line of this request, "request completed" included, names who made it.
    if (request.log.level !== 'silent') {
      const agreementId = (request.params as { id?: unknown } | undefined)?.id;
      request.log = request.log.child({ actor: principal.name, ...(typeof agreementId === 'string' ? { agreementId } : {}) });
      reply.log = request.log;
    }
    if (!roles.includes(principal.role)) {
      sendProblem(reply, {
        status: 403,
        title: 'Forbidden',
        code: 'FORBIDDEN',
        detail: `role ${principal.role} may not do this; it needs ${roles.join(' or ')}`,
      });
      return;
    }
    done();
  });
}

/**
 * The bearer header last verified on each connection, and whose it was. A client sends the same
 * header with every request on a keep-alive connection; hashing and comparing it against every
 * token each time was the largest cost of a cached read. A header is trusted again only if it is
 * equal to the one verified on the same socket, compared in constant time (a proxy may carry
 * several clients' requests over one upstream connection); anything else is verified in full.
 */
const verified = new WeakMap<object, { header: string; principal: Principal }>();

function identified(socket: object | undefined, header: string, tokens: TokenBook): Principal | undefined {
  const known = socket ? verified.get(socket) : undefined;
  if (known && sameText(header, known.header)) return known.principal;
  // The scheme name is case-insensitive (RFC 9110); the token is not.
  const match = /^Bearer +([\x21-\x7e]{1,256})$/i.exec(header);
  const principal = match ? tokens.identify(match[1]!) : undefined;
  if (principal && socket) verified.set(socket, { header, principal });
  return principal;
}

/**
 * Equal strings, in a time that depends only on the length of `given` (the caller's input): no
 * early exit on the first difference, so the time says nothing about how much of `known` matched.
 */
export function sameText(given: string, known: string): boolean {
  let difference = given.length ^ known.length;
  // Past the end of `known`, charCodeAt is NaN, which `^` takes as 0: the lengths already differ.
  for (let i = 0; i < given.length; i++) difference |= given.charCodeAt(i) ^ known.charCodeAt(i);
  return difference === 0;
}

export const READERS: readonly Role[] = ['officer', 'auditor', 'viewer'];
export const AUDIT_READERS: readonly Role[] = ['officer', 'auditor'];
export const WRITERS: readonly Role[] = ['officer'];

/**
 * For routes where only some parameters are audit questions (the register and pipeline as of
 * another moment): answers 403 and returns false unless the caller holds one of `roles`.
 */
export function permits(request: FastifyRequest, reply: FastifyReply, roles: readonly Role[], what: string): boolean {
  const role = request.principal?.role;
  if (role !== undefined && roles.includes(role)) return true;
  sendProblem(reply, { status: 403, title: 'Forbidden', code: 'FORBIDDEN', detail: `role ${role} may not ask for ${what}; it needs ${roles.join(' or ')}` });
  return false;
}
