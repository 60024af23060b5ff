import type { FastifyPluginAsync } from 'fastify';
import type { Projector } from '../../application/projector.js';
import type { EventStore, StoreHealth } from '../../event-store/port.js';

/** How the SQLite store words a failing write (src/event-store/sqlite/store.ts). */
const WRITES_FAILING = 'writes are failing';

/**
 * Needs no token: load balancers and orchestrators call it. `ok`; `degraded` (200: reads work,
 * something does not: writes failing for lack of disk, damaged data, a read model stopped) with
 * the kinds of reason; `unavailable` (503) when the store cannot be used at all. Being public, it
 * names no agreement and quotes no error: `GET /projections` has the details.
 */
export const healthRoutes = (store: EventStore, projectors: ReadonlyArray<Projector<unknown>>): FastifyPluginAsync =>
  async (app) => {
    app.get('/health', { schema: { tags: ['operations'], summary: 'Whether the service and its store can be used (no token needed): ok, degraded (with the kinds of reason) or unavailable', security: [] } }, async (_request, reply) => {
      const health: StoreHealth = await store.health().catch(() => ({ ok: false, adapter: 'unknown', detail: 'the store did not answer' }));
      const { degraded = [], ...shown } = health;
      if (!health.ok) return reply.code(503).send({ status: 'unavailable', store: shown });
      const reasons = new Set<string>();
      for (const reason of degraded) reasons.add(reason.startsWith(WRITES_FAILING) ? WRITES_FAILING : 'damaged data seen');
      for (const projector of projectors) {
        const { name, state } = projector.describe();
        if (state === 'stopped' && projector.describe().stopped) reasons.add(`read model ${name} stopped`);
        if (state === 'failed') reasons.add(`read model ${name} failed`);
      }
      return reply.code(200).send(reasons.size > 0 ? { status: 'degraded', reasons: [...reasons], store: shown } : { status: 'ok', store: shown });
    });
  };
