import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AgreementId, isStepEventType } from '../../../domain/agreement/index.js';
import type { RegisterProjector } from '../../application/register-projector.js';
import type { EventStore, StoredEvent } from '../../event-store/port.js';
import { READERS } from '../auth.js';
import { storedEventView } from '../views.js';

const PREFIX = 'agreement-';
const HEARTBEAT_MS = 15_000;
/** On shutdown, how long a feed may take to flush its end before it is cut (a client that reads nothing never takes it). */
const SHUTDOWN_GRACE_MS = 1000;

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
export const liveRoutes = (store: EventStore, register: RegisterProjector): FastifyPluginAsyncZod =>
  async (app) => {
    // Open streams would keep the server from closing: end them first, then the server stops.
    const open = new Set<() => Promise<void>>();
    app.addHook('preClose', async () => {
      await Promise.all([...open].map((end) => end()));
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
          : register.get(event.stream.slice(PREFIX.length))?.registration;
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
        open.delete(end);
        void subscription.close();
      };
      // Ending the subscription lets the loop below end the response; a response that cannot be
      // flushed (its client stopped reading) is cut after the grace, or it would hold the server open.
      const end = () =>
        new Promise<void>((resolve) => {
          close();
          if (raw.destroyed || raw.writableFinished) return resolve();
          const timer = setTimeout(() => {
            request.log.warn('live feed cut at shutdown: its client was not reading');
            raw.destroy();
          }, SHUTDOWN_GRACE_MS);
          raw.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      open.add(end);
      raw.on('close', close);
      try {
        for await (const event of subscription) {
          if (raw.destroyed) break;
          if (!wanted(event)) continue;
          const payload = { agreementId: event.stream.slice(PREFIX.length), ...storedEventView(event) };
          // Slow clients get backpressure, not an ever-growing buffer in this process.
          if (!raw.write(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(payload)}\n\n`)) await drainedOrClosed(raw);
        }
      } catch (error) {
        request.log.warn({ err: error }, 'live feed ended');
      } finally {
        close();
        if (!raw.destroyed) raw.end();
      }
    });
  };

/** Waits until a response can take more, or is gone (a destroyed response never drains). */
function drainedOrClosed(raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}
