import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from './tokens.js';

/**
 * Answers are JSON for programs: nothing in them may run, load or be framed. Browsers apply a
 * CSP to documents only, but a JSON answer opened directly is one, and so is a problem.
 */
const API_CSP = { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] };

/**
 * Swagger UI at /documentation loads its own scripts and styles from /documentation/static (no
 * inline script), fetches the document from the same origin and shows a data: logo. Its styles
 * are set from script, hence 'unsafe-inline' for styles only. No upgrade-insecure-requests: the
 * server itself speaks plain HTTP, and upgrading its own assets would break the page there.
 */
export const DOCUMENTATION_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

/**
 * What helmet sets, read once: its headers depend on its options only. Building them per request,
 * as @fastify/helmet does with two hooks (one a promise), is several times dearer than setting them.
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = headersSetBy(
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    frameguard: { action: 'deny' },
    strictTransportSecurity: false,
  }),
);

/** For answers written outside Fastify's hooks: problems for requests Node's parser or the router refused. */
export const BARE_SECURITY_HEADERS: Readonly<Record<string, string>> = { ...Object.fromEntries(SECURITY_HEADERS), 'cache-control': 'no-store' };

/**
 * Helmet's headers on every answer, problems included (registered before authentication, so a
 * 401 carries them too). HSTS is left to whatever terminates TLS in front of the server: it
 * binds every subdomain of the host for a year, which only the operator of that host can decide.
 * Answers of the routes open to `auditRoles` only (who recorded what, and when) are never stored
 * by a cache; other answers may be kept and revalidated with their ETag.
 */
export function registerSecurityHeaders(app: FastifyInstance, auditRoles: readonly Role[]): void {
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of SECURITY_HEADERS) reply.raw.setHeader(name, value);
    done();
  });
  app.addHook('onRoute', (route) => {
    if (route.config?.roles !== auditRoles) return;
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...own, noStore];
  });
}

function headersSetBy(middleware: ReturnType<typeof helmet>): Array<[string, string]> {
  const set = new Map<string, string>();
  const response = {
    setHeader: (name: string, value: string) => set.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => set.delete(name.toLowerCase()),
  };
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => {});
  return [...set];
}

function noStore(_request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.header('cache-control', 'no-store');
  done();
}
