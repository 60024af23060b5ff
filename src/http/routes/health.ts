import type { FastifyPluginAsync } from 'fastify';
import type { EventStore } from '../../event-store/port.js';

/** Needs no token: load balancers and orchestrators call it. 503 when the store cannot be used. */
export const healthRoutes = (store: EventStore): FastifyPluginAsync =>
  async (app) => {
    app.get('/health', { schema: { tags: ['operations'], summary: 'Whether the service and its store can be used (no token needed)', security: [] } }, async (_request, reply) => {
      const health = await store.health().catch((error: Error) => ({ ok: false, adapter: 'unknown', detail: error.message }));
      return reply.code(health.ok ? 200 : 503).send({ status: health.ok ? 'ok' : 'unavailable', store: health });
    });
  };
