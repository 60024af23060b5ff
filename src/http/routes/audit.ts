import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { asOccurredBy, rehydrate, type RecordedEvent } from '../../../domain/agreement/index.js';
import { refuse } from '../../../domain/shared/errors.js';
import { partialDate } from '../../../domain/shared/partial-date.js';
import { dayOf, possibleStatusOf } from '../../application/as-of-register.js';
import type { CommandHandler } from '../../application/handle-command.js';
import { streamFor, toRecorded } from '../../application/handle-command.js';
import { verifyStream } from '../../application/verify.js';
import type { EventStore, StoredEvent } from '../../event-store/port.js';
import { AUDIT_READERS } from '../auth.js';
import { AgreementParams, AsOfQuery, AsOfView, History, HistoryQuery, ProblemView } from '../schemas/agreements.js';
import { agreementView, historyEntry, stepVersions } from '../views.js';

const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [status, ProblemView]));
const etag = (revision: number) => `"${revision}"`;
const notFound = (id: string) => refuse.notFound('AGREEMENT_NOT_FOUND', `no agreement is registered under id ${id}`, { agreementId: id });

/**
 * What auditors ask of one agreement: every event with who recorded it (and every version of each
 * step), the agreement as of a moment on either time axis, and whether its hash chain holds.
 * Every audit read is logged with the actor.
 */
export const auditRoutes = ({ store, handler, today }: { store: EventStore; handler: CommandHandler; today: () => string }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/agreements/:id/history', {
      config: { roles: AUDIT_READERS },
      schema: {
        tags: ['agreements'],
        summary: 'Every event of the agreement in order, with who recorded it and the corrections made to each step',
        params: AgreementParams,
        querystring: HistoryQuery,
        response: { 200: History, ...problems(400, 401, 403, 404) },
      },
    }, async (request, reply) => {
      const { state, revision } = await handler.load(request.params.id);
      if (!state.registration) throw notFound(request.params.id);
      const stored: StoredEvent[] = [];
      for await (const event of store.readStream(streamFor(request.params.id), { to: revision })) stored.push(event);
      const byId = new Map(stored.map((event) => [event.id, event]));
      const withVersions = request.query.include === 'corrections';
      const events = stored.map((event) => {
        const entry = historyEntry(event, state);
        const step = withVersions ? state.steps.find((candidate) => candidate.eventId === event.id) : undefined;
        return step ? { ...entry, versions: stepVersions(step, byId) } : entry;
      });
      request.log.info({ audit: 'history', agreementId: request.params.id, include: request.query.include }, 'audit read');
      return reply.header('etag', etag(revision)).send({ agreementId: request.params.id, revision, events });
    });

    app.get('/agreements/:id/state', {
      config: { roles: AUDIT_READERS },
      schema: {
        tags: ['audit'],
        summary: 'The agreement as it stood in the world by a date (occurredBy), as the ledger knew it at a moment (recordedAsOf): either or both',
        params: AgreementParams,
        querystring: AsOfQuery,
        response: { 200: AsOfView, ...problems(400, 401, 403, 404) },
      },
    }, async (request, reply) => {
      const { recordedAsOf, occurredBy } = request.query;
      const id = request.params.id;
      request.log.info({ audit: 'state', agreementId: id, recordedAsOf, occurredBy }, 'audit read');
      // Bitemporal: the ledger's knowledge at recordedAsOf (now when absent), then the world by occurredBy (the end of it when absent).
      const known = recordedAsOf !== undefined ? await recordedBy(id, recordedAsOf) : await handler.load(id);
      if (!known.state.registration) {
        throw refuse.notFound('AGREEMENT_NOT_FOUND', recordedAsOf === undefined ? `no agreement is registered under id ${id}` : `agreement ${id} was not registered by ${recordedAsOf}`, { agreementId: id });
      }
      const view = occurredBy === undefined ? { state: known.state, uncertain: [], later: 0, possible: known.state } : asOccurredBy(known.state, partialDate(occurredBy), recordedAsOf !== undefined ? dayOf(recordedAsOf) : today());
      return {
        agreementId: id,
        ...(recordedAsOf !== undefined ? { recordedAsOf } : {}),
        ...(occurredBy !== undefined ? { occurredBy } : {}),
        agreement: agreementView(view.state, known.revision, today()),
        uncertain: view.uncertain.map((step) => ({ step: step.step, occurredOn: step.data.occurredOn, eventId: step.eventId })),
        later: view.later,
        ...possibleStatusOf(view),
      };
    });

    /** What had been recorded by `moment`: later events, corrections included, are not applied. The store checks the chain of what this reads, whatever is cached. */
    async function recordedBy(id: string, moment: string) {
      const until = Date.parse(moment);
      const events: RecordedEvent[] = [];
      let revision = -1;
      for await (const event of store.readStream(streamFor(id))) {
        if (Date.parse(event.recordedAt) > until) break;
        events.push(toRecorded(event));
        revision = event.revision;
      }
      return { state: rehydrate(events), revision };
    }

    app.get('/agreements/:id/integrity', {
      config: { roles: AUDIT_READERS },
      schema: {
        tags: ['audit'],
        summary: "Recomputes the agreement's hash chain and reports the first broken link, damaged data included (200 either way)",
        params: AgreementParams,
        response: {
          200: z.object({
            agreementId: z.string(),
            ok: z.boolean(),
            checked: z.number().int().describe('events checked, up to and including the first broken one'),
            // Position, revision and id are missing only where the store cannot read the event at all.
            firstBroken: z.object({ position: z.number().int().optional(), eventId: z.string().optional(), revision: z.number().int().optional(), reason: z.string() }).optional(),
          }),
          ...problems(401, 403, 404),
        },
      },
    }, async (request) => {
      const stream = streamFor(request.params.id);
      if ((await store.streamRevision(stream)) === 'no_stream') throw notFound(request.params.id);
      const report = await verifyStream(store, stream);
      request.log.info({ audit: 'integrity', agreementId: request.params.id, ok: report.ok }, 'audit read');
      return { agreementId: request.params.id, ...report };
    });
  };
