import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AgreementId } from '../../../domain/agreement/index.js';
import type { CommandHandler } from '../../application/handle-command.js';
import type { RegisterProjector } from '../../application/register-projector.js';
import type { EventStore, StoredEvent } from '../../event-store/port.js';
import { READERS } from '../auth.js';
import { agreementIdOf, audienceOf, fullFrame, inFeed, ViewerFrames } from '../live-frames.js';

const PREFIX = 'agreement-';

export interface LiveRouteDeps {
  store: EventStore;
  register: RegisterProjector;
  handler: CommandHandler;
}
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

const DESCRIPTION = [
  'Server-sent events; each `id` is the global position, and a client reconnecting with `Last-Event-ID` (or `?lastEventId=`) gets exactly what it missed, read from the log, in the same shapes.',
  '',
  'Officers and auditors: every registration, step, correction and withdrawal as `GET /events` shows it (`event` is its type; `data` has `agreementId`, `eventId`, `revision`, `position`, `data`, `recordedAt`, `recordedBy`, `commandId`, `correlationId`).',
  '',
  'Viewers: what the register and dashboards show, and nothing else. A registration (`event: AgreementRegistered`, `data`: `agreementId`, `eventId`, `position`, `data`); a step (`event` is its type, `data`: `agreementId`, `position`, `eventId`, `step`, `occurredOn`, `tentative`, and `body`, `location`, `party` when recorded), corrections applied, never one that has been withdrawn; a correction or a withdrawal as `event: agreement` with `data.agreement` the agreement as `GET /agreements/{id}` shows it. No metadata, reasons or earlier versions, whatever position a client resumes from.',
].join('\n');

/** GET /events/live: the log as it grows, to each role as much of it as that role may read elsewhere. */
export const liveRoutes = ({ store, register, handler }: LiveRouteDeps): FastifyPluginAsyncZod =>
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
        summary: 'The log as it grows (text/event-stream), resumable with Last-Event-ID; viewers get steps as the dashboards show them, no metadata',
        description: DESCRIPTION,
        querystring: LiveQuery,
        headers: z.object({ 'last-event-id': z.string().regex(/^\d{1,15}$/, 'must be a global position').optional() }),
      },
    }, async (request, reply) => {
      const header = request.headers['last-event-id'];
      const after = typeof header === 'string' ? Number(header) : (request.query.lastEventId ?? (await store.headPosition()));
      const { agreement, partner, kind } = request.query;
      const subscription = store.subscribe({ fromPosition: after + 1, streamPrefix: agreement ? `${PREFIX}${agreement}` : PREFIX });
      const viewerFrames = audienceOf(request.principal!.role) === 'viewer' ? new ViewerFrames((id) => handler.load(id), false) : undefined;

      const registrationOf = (event: StoredEvent) =>
        event.type === 'AgreementRegistered'
          ? (event.data as { kind: string; parties: string[] })
          : register.get(agreementIdOf(event))?.registration;
      const wanted = (event: StoredEvent) => {
        if (agreement && event.stream !== `${PREFIX}${agreement}`) return false;
        if (!inFeed(event)) return false;
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
          const frame = viewerFrames ? await viewerFrames.frame(event) : fullFrame(event);
          if (frame === undefined) continue;
          // Slow clients get backpressure, not an ever-growing buffer in this process.
          if (!raw.write(frame)) await drainedOrClosed(raw);
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
