import type { FastifyPluginAsync } from 'fastify';
import type { Projector } from '../../application/projector.js';
import type { EventStore, StoreHealth } from '../../event-store/port.js';

/**
 * Needs no token: load balancers and orchestrators call it. `ok`; `degraded` (200: reads work,
 * something does not: writes failing for lack of disk, damaged data, a read model stopped) with
 * the reasons; `unavailable` (503) when the store cannot be used at all.
 */
export const healthRoutes = (store: EventStore, projectors: ReadonlyArray<Projector<unknown>>): FastifyPluginAsync =>
  async (app) => {
    app.get('/health', { schema: { tags: ['operations'], summary: 'Whether the service and its store can be used (no token needed): ok, degraded (with the reasons) or unavailable', security: [] } }, async (_request, reply) => {
      const health: StoreHealth = await store.health().catch((error: Error) => ({ ok: false, adapter: 'unknown', detail: error.message }));
      if (!health.ok) return reply.code(503).send({ status: 'unavailable', store: health });
      const reasons = [...(health.degraded ?? [])];
      for (const projector of projectors) {
        const { name, state, stopped, failed } = projector.describe();
        if (state === 'stopped' && stopped) reasons.push(`read model ${name} stopped: ${stopped.reason}`);
        if (state === 'failed' && failed) reasons.push(`read model ${name} failed at position ${failed.position}: ${failed.error}`);
      }
      return reply.code(200).send(reasons.length > 0 ? { status: 'degraded', reasons, store: health } : { status: 'ok', store: health });
    });
  };
