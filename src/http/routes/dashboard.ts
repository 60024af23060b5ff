import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DayText, PartialDateText } from '../../../domain/agreement/index.js';
import { partialDate } from '../../../domain/shared/partial-date.js';
import { calendarItem } from '../../../projections/calendar/queries.js';
import { durations } from '../../../projections/durations/queries.js';
import { partner, partners } from '../../../projections/partners/queries.js';
import { pipeline } from '../../../projections/pipeline/queries.js';
import { registerEntry } from '../../../projections/register/projection.js';
import { overdue, stalled } from '../../../projections/stalled/queries.js';
import type { AsOfRegister } from '../../application/as-of-register.js';
import type { Projector } from '../../application/projector.js';
import type { RegisterProjector } from '../../application/register-projector.js';
import { AUDIT_READERS, permits, READERS } from '../auth.js';
import { sendProblem } from '../problem.js';
import { caughtUp } from '../read-your-writes.js';
import { ProblemView } from '../schemas/agreements.js';

const MinPosition = { minPosition: z.coerce.number().int().min(0).optional() };
const Day = DayText;
const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [status, ProblemView]));
const Json = z.record(z.string(), z.unknown());
const MAX_CALENDAR_OFFSET = 10_000;
const MAX_CALENDAR_PAGE = 1000;

/**
 * What dashboards read. Every dashboard is a query over the register (its documents in memory,
 * the calendar over its steps on disk): one fold keeps them consistent with each other by
 * construction, and one rebuild rebuilds them all.
 */
export const dashboardRoutes = (register: RegisterProjector, asOf: AsOfRegister, today: () => string): FastifyPluginAsyncZod =>
  async (app) => {
    const entries = () => [...register.values()].map(registerEntry);
    /** The register as the world stood on `day`, by what is known now: today's rows unless `day` is in the past. */
    const worldOn = async (day: string) => (day >= today() ? entries() : (await asOf.occurredBy(partialDate(day), today())).entries);
    const ready = (minPosition: number | undefined, reply: FastifyReply) => caughtUp(register as unknown as Projector<unknown>, minPosition, reply);

    app.get('/dashboard/pipeline', {
      config: { roles: READERS },
      schema: {
        tags: ['dashboard'],
        summary: 'Agreements by lifecycle stage and kind, with the ids in each cell; as it stood in the world by a date (occurredBy), as the ledger knew it at a moment (recordedAsOf): either or both',
        querystring: z.strictObject({
          ...MinPosition,
          recordedAsOf: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp' }).optional(),
          occurredBy: PartialDateText.optional(),
        }),
        response: { 200: Json, ...problems(400, 401, 403, 503) },
      },
    }, async (request, reply) => {
      if (!(await ready(request.query.minPosition, reply))) return reply;
      const { recordedAsOf, occurredBy } = request.query;
      if (recordedAsOf !== undefined || occurredBy !== undefined) {
        if (!permits(request, reply, AUDIT_READERS, 'the pipeline at another moment')) return reply;
        request.log.info({ audit: 'pipeline', recordedAsOf, occurredBy }, 'audit read');
      }
      if (recordedAsOf !== undefined && occurredBy !== undefined) {
        const { entries: rows, uncertain, damaged } = await asOf.bitemporal(recordedAsOf, partialDate(occurredBy));
        return { recordedAsOf, occurredBy, uncertainSteps: uncertain, ...pipeline(rows), ...(damaged.length > 0 ? { damaged } : {}) };
      }
      if (recordedAsOf !== undefined) {
        const { entries: rows, damaged } = await asOf.recordedAsOf(recordedAsOf);
        return { recordedAsOf, ...pipeline(rows), ...(damaged.length > 0 ? { damaged } : {}) };
      }
      if (occurredBy !== undefined) {
        const { entries: rows, uncertain } = await asOf.occurredBy(partialDate(occurredBy), today());
        return { occurredBy, uncertainSteps: uncertain, ...pipeline(rows), position: register.position };
      }
      return { ...pipeline(entries()), position: register.position };
    });

    app.get('/dashboard/partners', {
      config: { roles: READERS },
      schema: { tags: ['dashboard'], summary: 'Every partner with its number of agreements by stage', querystring: z.strictObject(MinPosition), response: { 200: Json, ...problems(400, 401, 403, 503) } },
    }, async (request, reply) => {
      if (!(await ready(request.query.minPosition, reply))) return reply;
      return { partners: partners(entries()), position: register.position };
    });

    app.get('/dashboard/partners/:party', {
      config: { roles: READERS },
      schema: {
        tags: ['dashboard'],
        summary: "Every agreement with a partner: its stage, last step and next known steps",
        params: z.strictObject({ party: z.string().min(1).max(200) }),
        querystring: z.strictObject(MinPosition),
        response: { 200: Json, ...problems(400, 401, 403, 404, 503) },
      },
    }, async (request, reply) => {
      if (!(await ready(request.query.minPosition, reply))) return reply;
      const agreements = partner(entries(), request.params.party);
      if (agreements.length === 0) {
        return sendProblem(reply as FastifyReply, { status: 404, title: 'Not Found', code: 'PARTNER_NOT_FOUND', detail: `no agreement names ${request.params.party} as a party` });
      }
      return { party: request.params.party, agreements, position: register.position };
    });

    app.get('/dashboard/calendar', {
      config: { roles: READERS },
      schema: {
        tags: ['dashboard'],
        summary: 'Past and planned steps and meetings in a period; partial dates placed as precisely as they are known',
        querystring: z.strictObject({
          from: PartialDateText,
          to: PartialDateText,
          // A long period over many agreements is large: answered a page at a time, each page
          // after the cursor the one before gave (a seek, as quick at the thousandth page as at the first).
          // At most 1,000: a page is built and serialised in one go, holding the event loop meanwhile.
          limit: z.coerce.number().int().min(1).max(MAX_CALENDAR_PAGE).default(500),
          cursor: z.string().min(1).max(60).optional(),
          /** Kept for old clients: scanned past, so bounded. */
          offset: z.coerce.number().int().min(0).max(MAX_CALENDAR_OFFSET, `must be at most ${MAX_CALENDAR_OFFSET}; page further with cursor`).optional(),
          ...MinPosition,
        }).refine((query) => query.cursor === undefined || query.offset === undefined, 'give cursor or offset, not both'),
        response: { 200: Json, ...problems(400, 401, 403, 503) },
      },
    }, async (request, reply) => {
      const [from, to] = [partialDate(request.query.from), partialDate(request.query.to)];
      if (to.end < from.start) {
        return sendProblem(reply as FastifyReply, {
          status: 400,
          title: 'Bad Request',
          code: 'VALIDATION_FAILED',
          detail: 'querystring.to: must not end before from starts',
          extensions: { errors: [{ in: 'querystring', field: 'to', rule: 'must not end before from starts' }] },
        });
      }
      if (!(await ready(request.query.minPosition, reply))) return reply;
      const { limit, offset, cursor } = request.query;
      const found = register.itemsInSpan(from.start, to.end, { limit, ...(cursor !== undefined ? { after: cursor } : {}), ...(offset !== undefined ? { offset } : {}) });
      const page = found.items.flatMap(({ key, item }) => {
        const document = register.get(key);
        return document ? [calendarItem(registerEntry(document), item.value, from, to)] : [];
      });
      const more = found.next !== null;
      return {
        from: from.start,
        to: to.end,
        total: found.total,
        ...(found.totalAtLeast !== undefined ? { totalAtLeast: found.totalAtLeast } : {}),
        items: page,
        nextCursor: found.next,
        ...(offset !== undefined ? { nextOffset: more ? offset + limit : null } : {}),
        position: register.position,
      };
    });

    app.get('/dashboard/durations', {
      config: { roles: READERS },
      schema: {
        tags: ['dashboard'],
        summary: 'For each kind, days from mandate to opening, opening to conclusion, conclusion to signature, signature to entry into force; as the world stood on asOf (default today)',
        querystring: z.strictObject({ asOf: Day.optional(), ...MinPosition }),
        response: { 200: Json, ...problems(400, 401, 403, 503) },
      },
    }, async (request, reply) => {
      if (!(await ready(request.query.minPosition, reply))) return reply;
      const day = request.query.asOf ?? today();
      return { unit: 'days', precision: 'dates known to the day or month; month-precise dates count from the first', asOf: day, durations: durations(await worldOn(day)), position: register.position };
    });

    app.get('/dashboard/stalled', {
      config: { roles: READERS },
      schema: {
        tags: ['dashboard'],
        summary: 'Negotiations with no firm step for longer than the threshold, and planned steps now overdue; as the world stood on asOf (default today)',
        querystring: z.strictObject({ months: z.coerce.number().int().min(1).max(600).default(12), asOf: Day.optional(), ...MinPosition }),
        response: { 200: Json, ...problems(400, 401, 403, 503) },
      },
    }, async (request, reply) => {
      if (!(await ready(request.query.minPosition, reply))) return reply;
      const day = request.query.asOf ?? today();
      const world = await worldOn(day);
      return { months: request.query.months, asOf: day, agreements: stalled(world, request.query.months, day), overdue: overdue(world, day), position: register.position };
    });
  };
