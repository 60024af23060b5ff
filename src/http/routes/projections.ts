import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Projector } from '../../application/projector.js';
import type { EventStore } from '../../event-store/port.js';
import { READERS } from '../auth.js';

const ProjectionView = z.object({
  name: z.string(),
  version: z.number().int(),
  state: z.enum(['catching_up', 'live', 'failed', 'stopped']),
  position: z.number().int(),
  checkpoint: z.number().int(),
  lag: z.object({ events: z.number().int() }),
  failed: z.object({ position: z.number().int(), error: z.string() }).optional(),
});

/** What operators and dashboards ask first: is each read model live, and how far behind? */
export const projectionRoutes = (store: EventStore, projectors: ReadonlyArray<Projector<unknown>>): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/projections', {
      config: { roles: READERS },
      schema: {
        tags: ['operations'],
        summary: 'Each read model with its version, state, checkpoint and lag',
        response: { 200: z.object({ headPosition: z.number().int(), projections: z.array(ProjectionView) }) },
      },
    }, async () => {
      const headPosition = await store.headPosition();
      return {
        headPosition,
        projections: projectors.map((projector) => {
          const status = projector.describe();
          return { ...status, lag: { events: Math.max(0, headPosition - status.position) } };
        }),
      };
    });
  };
