import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthThrottle } from './auth-throttle.js';
import { sendProblem } from './problem.js';
import type { RequestLogController } from './request-logging.js';
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
 * Failed authentications are counted per client address: past the throttle's limit, tokens from
 * that address are not checked at all until its window ends (429), so a valid token among guesses
 * cannot be told apart by its answer. A connection whose token was verified before keeps working.
 */
export function registerAuth(app: FastifyInstance, tokens: TokenBook, throttle: AuthThrottle, requestLog: RequestLogController): void {
  app.decorateRequest('principal', null);
  app.addHook('onClose', (_instance, done) => {
    throttle.close();
    done();
  });
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    reply.header('x-request-id', request.id);
    const roles = request.routeOptions.config?.roles;
    if (!roles) return done();
    const header = request.headers.authorization;
    if (typeof header !== 'string') {
      // No credentials is not a guess: logged as any request is.
      requestLog.announce(request, reply);
      unauthenticated(reply, 'Authorization: a valid bearer token is required');
      return;
    }
    const socket = request.raw.socket as object | undefined;
    let principal = trustedAgain(socket, header);
    if (!principal) {
      const address = request.ip ?? 'unknown';
      const waitMs = throttle.refusal(address);
      if (waitMs > 0) {
        requestLog.demote(request);
        const seconds = Math.ceil(waitMs / 1000);
        sendProblem(reply, {
          status: 429,
          title: 'Too Many Requests',
          code: 'TOO_MANY_FAILED_AUTHENTICATIONS',
          detail: `Authorization: ${throttle.maxFailures} failed authentications from ${address} within ${throttle.windowMs / 1000} s; its tokens are checked again in ${seconds} s`,
          retryAfterSeconds: seconds,
        });
        return;
      }
      principal = verify(socket, header, tokens);
      if (!principal) {
        throttle.failed(address);
        requestLog.demote(request);
        unauthenticated(reply, 'Authorization: a valid bearer token is required');
        return;
      }
    }
    request.principal = principal;
    // Every later line of this request, "request completed" included, names who made it.
    if (request.log.level !== 'silent') {
      const agreementId = (request.params as { id?: unknown } | undefined)?.id;
      request.log = request.log.child({ actor: principal.name, ...(typeof agreementId === 'string' ? { agreementId } : {}) });
      reply.log = request.log;
    }
    requestLog.announce(request, reply);
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

function unauthenticated(reply: FastifyReply, detail: string): void {
  reply.header('www-authenticate', 'Bearer realm="agreement-ledger"');
  sendProblem(reply, { status: 401, title: 'Unauthorized', code: 'UNAUTHENTICATED', detail });
}

/**
 * The bearer header last verified on each connection, and whose it was. A client sends the same
 * header with every request on a keep-alive connection; hashing and comparing it against every
 * token each time was the largest cost of a cached read. A header is trusted again only if it is
 * equal to the one verified on the same socket, compared in constant time (a proxy may carry
 * several clients' requests over one upstream connection); anything else is verified in full.
 */
const verified = new WeakMap<object, { header: string; principal: Principal }>();

/** Who sent this header, if it is the one already verified on this connection. */
function trustedAgain(socket: object | undefined, header: string): Principal | undefined {
  const known = socket ? verified.get(socket) : undefined;
  return known && sameText(header, known.header) ? known.principal : undefined;
}

function verify(socket: object | undefined, header: string, tokens: TokenBook): Principal | undefined {
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
