import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AgreementId } from '../../../domain/agreement/index.js';
import type { CommandHandler } from '../../application/handle-command.js';
import type { RegisterProjector } from '../../application/register-projector.js';
import type { EventStore } from '../../event-store/port.js';
import { READERS } from '../auth.js';
import { LiveFanout } from '../live-fanout.js';
import { audienceOf } from '../live-frames.js';
import { LiveSubscriber } from '../live-subscriber.js';
import { sendProblem } from '../problem.js';

/** Enough for a thousand dashboards and as many again reconnecting. */
export const DEFAULT_LIVE_MAX_SUBSCRIBERS = 2000;
/** Clients reading the log from an older position at once (each a whole replay at worst). */
export const DEFAULT_LIVE_MAX_CATCH_UPS = 4;
/** What a client turned away at a cap is told to wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

export interface LiveRouteDeps {
  store: EventStore;
  register: RegisterProjector;
  handler: CommandHandler;
  /** Clients the feed serves at once (LIVE_MAX_SUBSCRIBERS); past it, 503 with Retry-After. */
  maxSubscribers: number;
  /** Clients catching up from an older position at once; past it, 503 with Retry-After. */
  maxCatchUps?: number | undefined;
  today: () => string;
}

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
  '',
  'Every role: an event whose data is damaged (INTEGRITY_BROKEN, STORE_CORRUPT) is skipped with one `event: damaged` frame (`data`: `agreementId` when known, `position` of the damaged event, `code`); for a viewer, an agreement that cannot be read gets that one frame and none of its later events. The feed goes on after it.',
  '',
  'Frames go out in batches, every clients/2,000 s (10 ms at least: up to half a second with 1,000 clients). At most LIVE_MAX_SUBSCRIBERS clients at once: past it, 503 `TOO_MANY_SUBSCRIBERS` with Retry-After. At most ' + String(DEFAULT_LIVE_MAX_CATCH_UPS) + ' clients resuming from a position behind the log catch up at once: past it, 503 `TOO_MANY_CATCH_UPS` with Retry-After. A client that stops reading is cut once 16 MiB wait for it or its socket has stayed full for 30 s; it resumes with Last-Event-ID.',
].join('\n');

/** GET /events/live: the log as it grows, to each role as much of it as that role may read elsewhere. */
export const liveRoutes = ({ store, register, handler, maxSubscribers, maxCatchUps = DEFAULT_LIVE_MAX_CATCH_UPS, today }: LiveRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const fanout = new LiveFanout({
      store,
      load: (agreementId) => handler.load(agreementId),
      registrationOf: (agreementId) => register.get(agreementId)?.registration,
      maxCatchUps,
      today,
      log: app.log,
    });
    // Open streams would keep the server from closing: end them first, then the server stops.
    app.addHook('preClose', () => fanout.close());

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
      const head = await store.headPosition();
      const after = typeof header === 'string' ? Number(header) : (request.query.lastEventId ?? head);
      if (fanout.size >= maxSubscribers) {
        return sendProblem(reply as FastifyReply, {
          status: 503,
          title: 'Service Unavailable',
          code: 'TOO_MANY_SUBSCRIBERS',
          detail: `the live feed serves at most ${maxSubscribers} clients at once (LIVE_MAX_SUBSCRIBERS); retry after ${RETRY_AFTER_SECONDS} s`,
          extensions: { maxSubscribers },
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      const slot = after < head ? fanout.reserveCatchUp() : undefined;
      if (after < head && !slot) {
        return sendProblem(reply as FastifyReply, {
          status: 503,
          title: 'Service Unavailable',
          code: 'TOO_MANY_CATCH_UPS',
          detail: `Last-Event-ID (or lastEventId) ${after} is ${head - after} events behind the log; the live feed replays the log to at most ${maxCatchUps} resuming clients at once; retry after ${RETRY_AFTER_SECONDS} s`,
          extensions: { maxCatchUps },
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      const { agreement, partner, kind } = request.query;
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
      const subscriber = new LiveSubscriber(raw, audienceOf(request.principal!.role), { agreement, partner, kind }, after, request.log);
      try {
        await fanout.join(subscriber, slot);
      } catch (error) {
        request.log.warn({ err: error }, 'live feed ended');
        await subscriber.end();
      }
      await subscriber.done;
    });
  };
