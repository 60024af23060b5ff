import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { AsOfRegister } from './application/as-of-register.js';
import type { CommandHandler } from './application/handle-command.js';
import { LedgerMetrics } from './application/metrics.js';
import type { Projector } from './application/projector.js';
import type { RegisterProjector } from './application/register-projector.js';
import type { EventStore } from './event-store/port.js';
import { AUDIT_READERS, registerAuth } from './http/auth.js';
import { AuthThrottle, type AuthThrottleOptions } from './http/auth-throttle.js';
import { sendClientErrorProblem } from './http/client-errors.js';
import { fastValidatorCompiler } from './http/fast-validation.js';
import { registerJsonBody } from './http/json-body.js';
import { registerProblemHandlers, sendFrameworkProblem } from './http/problem.js';
import { DOCUMENTATION_CSP, registerSecurityHeaders } from './http/security-headers.js';
import { agreementRoutes } from './http/routes/agreements.js';
import { auditRoutes } from './http/routes/audit.js';
import { dashboardRoutes } from './http/routes/dashboard.js';
import { globalLogRoutes } from './http/routes/global-log.js';
import { healthRoutes } from './http/routes/health.js';
import { DEFAULT_LIVE_MAX_SUBSCRIBERS, liveRoutes } from './http/routes/live.js';
import { metricsRoutes, registerRequestMetrics } from './http/routes/metrics.js';
import { projectionRoutes } from './http/routes/projections.js';
import { RequestLogController } from './http/request-logging.js';
import type { TokenBook } from './http/tokens.js';

export interface AppDependencies {
  store: EventStore;
  /** The one pino logger of the process. */
  logger: FastifyBaseLogger;
  handler: CommandHandler;
  register: RegisterProjector;
  tokens: TokenBook;
  /** Prometheus instruments; server.ts passes the ones its metered store counts appends into. Default: a fresh set. */
  metrics?: LedgerMetrics;
  /** Live-feed clients served at once (LIVE_MAX_SUBSCRIBERS). Default: DEFAULT_LIVE_MAX_SUBSCRIBERS. */
  liveMaxSubscribers?: number | undefined;
  /** Failed authentications allowed per client address (see auth-throttle.ts). Default: AUTH_THROTTLE_DEFAULTS. */
  authThrottle?: AuthThrottleOptions;
  /** Proxies (addresses, CIDR ranges) whose X-Forwarded-For names the client; default none. */
  trustProxy?: readonly string[] | undefined;
  /** What time it is: the day a command is recorded on, and what is overdue. Default: the system clock. */
  clock?: () => Date;
}

/** Request bodies above this are refused with 413 (one step is a few hundred bytes). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** The longest a client may take to send one request, headers and body (see requestTimeout below). */
export const REQUEST_TIMEOUT_MS = 10_000;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Builds the HTTP application. It never listens: server.ts does, tests use `app.inject`. */
export async function buildApp({ store, logger, handler, register, tokens, metrics = new LedgerMetrics(), authThrottle, trustProxy, liveMaxSubscribers = DEFAULT_LIVE_MAX_SUBSCRIBERS, clock = () => new Date() }: AppDependencies): Promise<FastifyInstance> {
  const requestLog = new RequestLogController();
  const app = Fastify({
    loggerInstance: logger,
    logController: requestLog,
    // request.ip, which failed authentications are counted by, is the client's only through a
    // proxy named here; believing X-Forwarded-For from anyone would let a guesser pick its address.
    trustProxy: trustProxy ? [...trustProxy] : false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Without it (Fastify's default is none) a client that sends headers and part of a body, then
    // stalls or trickles, holds its connection forever. A whole request is at most 64 KiB, so 10 s
    // asks for 6.5 KB/s, which any real client exceeds; the laggard gets 408 and is disconnected.
    // It bounds receiving the request only: long answers (the live feed) are not cut.
    requestTimeout: REQUEST_TIMEOUT_MS,
    // The router's default (100 characters) made agreements with ids of 101-120 characters, which
    // registration accepts, unreachable (414). The routes' schemas bound every parameter themselves
    // (ids 120 characters, party names 200); this only has to let the longest through percent-encoded.
    routerOptions: { maxParamLength: 200 * 12 },
    frameworkErrors: sendFrameworkProblem,
    // What Node's HTTP parser refuses never reaches a route: answered as a problem all the same.
    clientErrorHandler: sendClientErrorProblem,
    // Fastify makes a child logger per request to bind its id, and pino serialises the bindings at
    // once; a silent logger writes nothing, so it needs no child.
    childLoggerFactory: (parent, bindings, options) => (parent.level === 'silent' ? parent : parent.child(bindings, options)),
    // The caller's X-Request-Id is kept when it is sane, so one id follows a request across services.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();
  // Node's constructor would lower headersTimeout (60 s) to requestTimeout; Fastify sets the latter
  // afterwards, and Node 20 then waits for the larger of the two before dropping a stalled body.
  app.server.headersTimeout = REQUEST_TIMEOUT_MS;
  // JSON only: anything else is 415, not a string for the validator to puzzle over.
  app.removeContentTypeParser('text/plain');
  // UTF-8 only, no content codings, no duplicate keys (see json-body.ts).
  registerJsonBody(app);
  // zod's, with a shortcut for ids and other plain bounded strings (see fast-validation.ts).
  app.setValidatorCompiler(fastValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandlers(app);
  registerSecurityHeaders(app, AUDIT_READERS);
  registerAuth(app, tokens, new AuthThrottle(logger, authThrottle), requestLog);
  registerRequestMetrics(app, metrics);
  metrics.watch(store, [register as unknown as Projector<unknown>]);

  await app.register(swagger, {
    openapi: {
      info: { title: 'agreement-ledger', version: '0.1.0', description: 'The auditable life of international agreements, kept as an event log.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/documentation', staticCSP: DOCUMENTATION_CSP });
  // Routes come after swagger so that they appear in the document.
  await app.register(healthRoutes(store, [register as unknown as Projector<unknown>]));
  await app.register(metricsRoutes(metrics));
  const asOf = new AsOfRegister(store, register);
  const today = () => clock().toISOString().slice(0, 10);
  await app.register(agreementRoutes({ handler, register, store, asOf, today }));
  await app.register(auditRoutes({ store, handler, today }));
  await app.register(projectionRoutes(store, [register as unknown as Projector<unknown>]));
  await app.register(dashboardRoutes(register, asOf, today));
  await app.register(liveRoutes({ store, register, handler, maxSubscribers: liveMaxSubscribers, today }));
  await app.register(globalLogRoutes(store));
  return app;
}
