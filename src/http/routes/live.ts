import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AgreementId, isStepEventType } from '../../../domain/agreement/index.js';
import type { RegisterDocument } from '../../../projections/register/projection.js';
import type { Projector } from '../../application/projector.js';
import type { EventStore, StoredEvent } from '../../event-store/port.js';
import { READERS } from '../auth.js';
import { storedEventView } from '../views.js';

const PREFIX = 'agreement-';
const HEARTBEAT_MS = 15_000;

const LiveQuery = z.strictObject({
  agreement: AgreementId.optional(),
  partner: z.string().min(1).max(200).optional(),
  kind: z.string().min(1).max(80).optional(),
  /** The same as the Last-Event-ID header, for clients that cannot set headers (EventSource can't on first connect). */
  lastEventId: z.coerce.number().int().min(0).optional(),
});

/**
 * GET /events/live: server-sent events, one per recorded step, correction or registration, with
 * the global position as the event id. A dashboard that reconnects with Last-Event-ID gets
 * exactly what it missed, from the log itself.
 */
export const liveRoutes = (store: EventStore, register: Projector<RegisterDocument>): FastifyPluginAsyncZod =>
  async (app) => {
    // Open streams would keep the server from closing: end them first, then the server stops.
    const open = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const end of open) end();
    });

    app.get('/events/live', {
      config: { roles: READERS },
      schema: {
        tags: ['dashboard'],
        summary: 'Every new step as it is recorded (text/event-stream), resumable with Last-Event-ID',
        querystring: LiveQuery,
        headers: z.object({ 'last-event-id': z.string().regex(/^\d{1,15}$/, 'must be a global position').optional() }),
      },
    }, async (request, reply) => {
      const header = request.headers['last-event-id'];
      const after = typeof header === 'string' ? Number(header) : (request.query.lastEventId ?? (await store.headPosition()));
      const { agreement, partner, kind } = request.query;
      const subscription = store.subscribe({ fromPosition: after + 1, streamPrefix: agreement ? `${PREFIX}${agreement}` : PREFIX });

      const registrationOf = (event: StoredEvent) =>
        event.type === 'AgreementRegistered'
          ? (event.data as { kind: string; parties: string[] })
          : register.get(event.stream.slice(PREFIX.length))?.state.registration;
      const wanted = (event: StoredEvent) => {
        if (agreement && event.stream !== `${PREFIX}${agreement}`) return false;
        if (!isStepEventType(event.type) && !['AgreementRegistered', 'StepCorrected', 'StepWithdrawn'].includes(event.type)) return false;
        if (!partner && !kind) return true;
        const registration = registrationOf(event);
        if (!registration) return false;
        if (kind && registration.kind !== kind) return false;
        return !partner || registration.parties.some((party) => party.toLowerCase() === partner.toLowerCase());
      };

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      raw.write(`retry: 2000\n: connected after position ${after}\n\n`);
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const close = () => {
        clearInterval(heartbeat);
        open.delete(close);
        void subscription.close();
      };
      open.add(close);
      raw.on('close', close);
      try {
        for await (const event of subscription) {
          if (raw.destroyed) break;
          if (!wanted(event)) continue;
          const payload = { agreementId: event.stream.slice(PREFIX.length), ...storedEventView(event) };
          // Slow clients get backpressure, not an ever-growing buffer in this process.
          if (!raw.write(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(payload)}\n\n`)) {
            await new Promise((resolve) => raw.once('drain', resolve));
          }
        }
      } catch (error) {
        request.log.warn({ err: error }, 'live feed ended');
      } finally {
        close();
        raw.end();
      }
    });
  };
