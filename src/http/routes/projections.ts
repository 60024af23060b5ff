import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { projectionLag } from '../../application/projection-lag.js';
import type { Projector } from '../../application/projector.js';
import type { EventStore } from '../../event-store/port.js';
import { READERS } from '../auth.js';

const ProjectionView = z.object({
  name: z.string(),
  version: z.number().int(),
  state: z.enum(['catching_up', 'rebuilding', 'live', 'failed', 'stopped']),
  position: z.number().int(),
  checkpoint: z.number().int(),
  /** Events not yet applied (counted up to 10,000 where positions have gaps), and how long the oldest has been waiting. */
  lag: z.object({ events: z.number().int(), seconds: z.number() }),
  failed: z.object({ position: z.number().int(), error: z.string() }).optional(),
  /** Why a model stopped on its own (not at an event: a restart goes on from its checkpoint). */
  stopped: z.object({ reason: z.string() }).optional(),
  replacing: z.object({ version: z.number().int(), position: z.number().int() }).optional(),
});

/** What operators and dashboards ask first: is each read model live, and how far behind? */
export const projectionRoutes = (store: EventStore, projectors: ReadonlyArray<Projector<unknown>>): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/projections', {
      config: { roles: READERS },
      schema: {
        tags: ['operations'],
        summary: "Each read model with its version, state, checkpoint and lag; what the store is degraded by, in detail (/health, public, says only what kind)",
        response: { 200: z.object({ headPosition: z.number().int(), storeDegraded: z.array(z.string()).optional(), projections: z.array(ProjectionView) }) },
      },
    }, async () => {
      const headPosition = await store.headPosition();
      const degraded = (await store.health().catch(() => undefined))?.degraded;
      const now = Date.now();
      const projections = [];
      for (const projector of projectors) {
        projections.push({ ...projector.describe(), lag: await projectionLag(store, projector, headPosition, now) });
      }
      return { headPosition, ...(degraded?.length ? { storeDegraded: degraded } : {}), projections };
    });
  };
