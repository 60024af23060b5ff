import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { LedgerMetrics, ObserveRequest } from '../../application/metrics.js';
import { problemFor } from '../problem.js';

/** The route label of requests no route matched: their URLs are whatever callers sent, never a label. */
const UNMATCHED = 'unmatched';
const NO_ROUTE: { url?: string } = {};

/**
 * Counts and times every answer by method, route template (`/agreements/:id`, never the URL: label
 * values must stay few) and status. One onResponse hook; the tally of each (route, method, status)
 * is looked up once and kept, so a request adds three numbers and allocates nothing.
 * Conflicts (409, 412) are counted by problem code in onError, which only failed requests reach.
 * Called on the root instance before any route is registered, so that every route inherits the hooks.
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: LedgerMetrics): void {
  const byRoute = new WeakMap<object, Map<string, Map<number, ObserveRequest>>>();
  const observerFor = (config: object, method: string, route: string, status: number): ObserveRequest => {
    let byMethod = byRoute.get(config);
    if (!byMethod) byRoute.set(config, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let observe = byStatus.get(status);
    if (!observe) byStatus.set(status, (observe = metrics.requestObserver(method, route, status)));
    return observe;
  };

  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const config = request.routeOptions.config ?? NO_ROUTE;
    // Node accepts only the methods it knows, so even unmatched requests keep this label bounded.
    observerFor(config, request.method, config.url ?? UNMATCHED, reply.statusCode)(reply.elapsedTime / 1000);
    done();
  });

  app.addHook('onError', (request: FastifyRequest, _reply: FastifyReply, error: FastifyError, done: () => void) => {
    const problem = problemFor(error, request);
    if (problem && (problem.status === 409 || problem.status === 412)) metrics.conflicts.labels(String(problem.status), problem.code).inc();
    done();
  });
}

/**
 * GET /metrics in Prometheus text format. Public like /health: scrapers carry no bearer token,
 * and nothing here names an agreement, a party, an actor or a token (counts, durations, route
 * templates, log positions, process figures). Keep it off the public internet at the proxy.
 */
export const metricsRoutes = (metrics: LedgerMetrics): FastifyPluginAsync =>
  async (app) => {
    app.get('/metrics', {
      schema: { tags: ['operations'], summary: 'Prometheus metrics: requests, appends, conflicts, read-model lag, store health (no token needed)', security: [] },
    }, async (_request, reply) => {
      const body = await metrics.scrape();
      return reply.type(metrics.contentType).send(body);
    });
  };
