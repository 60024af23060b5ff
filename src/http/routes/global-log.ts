import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventStore } from '../../event-store/port.js';
import { AUDIT_READERS } from '../auth.js';
import { ProblemView, StoredEventView } from '../schemas/agreements.js';
import { storedEventView } from '../views.js';

const LogEvent = StoredEventView.extend({ stream: z.string(), hash: z.string() });

/** GET /events: the whole log in global order, a page at a time, for auditors. */
export const globalLogRoutes = (store: EventStore): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/events', {
      config: { roles: AUDIT_READERS },
      schema: {
        tags: ['audit'],
        summary: 'Every event of every agreement in global order, with metadata and hash; page with ?after=',
        querystring: z.strictObject({
          after: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ events: z.array(LogEvent), nextAfter: z.number().int().nullable(), headPosition: z.number().int() }),
          400: ProblemView, 401: ProblemView, 403: ProblemView,
        },
      },
    }, async (request) => {
      const { after, limit } = request.query;
      const events = [];
      for await (const event of store.readAll({ fromPosition: after + 1, limit })) events.push({ ...storedEventView(event), stream: event.stream, hash: event.hash });
      request.log.info({ audit: 'events', after, limit, returned: events.length }, 'audit read');
      const last = events[events.length - 1];
      return { events, nextAfter: events.length === limit && last ? last.position : null, headPosition: await store.headPosition() };
    });
  };
