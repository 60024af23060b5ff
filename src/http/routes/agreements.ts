import { createHash, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { allowedSteps, lifecycleState, type AgreementCommand, type StepName } from '../../../domain/agreement/index.js';
import { refuse } from '../../../domain/shared/errors.js';
import { queryRegister } from '../../../projections/register/queries.js';
import type { CommandHandler, CommandMetadata } from '../../application/handle-command.js';

import type { Projector } from '../../application/projector.js';
import { registerEntry, type RegisterEntry } from '../../../projections/register/projection.js';
import type { RegisterProjector } from '../../application/register-projector.js';
import { partialDate } from '../../../domain/shared/partial-date.js';
import type { AsOfRegister, OccurredByEntry } from '../../application/as-of-register.js';
import type { EventStore } from '../../event-store/port.js';
import { AUDIT_READERS, permits, READERS, WRITERS } from '../auth.js';
import { caughtUp } from '../read-your-writes.js';
import {
  AgreementParams, AgreementView, CorrectionBody, ProblemView, RegisterBody, RegisterPageView, RegisterQuerySchema, StepBody, StepRecorded,
} from '../schemas/agreements.js';
import { agreementView, registerRow, storedEventView } from '../views.js';
import { AgreementViews } from '../agreement-views.js';

export interface AgreementRouteDeps {
  handler: CommandHandler;
  store: EventStore;
  register: RegisterProjector;
  /** The register at another moment, within the audit questions' budget. */
  asOf: AsOfRegister;
  /** The day it is, YYYY-MM-DD: what is overdue. */
  today: () => string;
}

/** Every write says where it landed in the log; reads take it back as `?minPosition=` (read-your-writes). */
const POSITION_HEADER = 'ledger-position';

const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [status, ProblemView]));
const WriteHeaders = z.object({
  'if-match': z.string().regex(/^("\d{1,15}"|\*)$/, 'must be a quoted revision such as "3", or *').optional(),
  'idempotency-key': z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
  'x-correlation-id': z.string().max(200).optional(),
});

/** Desk officers write here; auditors and dashboards read. */
export const agreementRoutes = ({ handler, register, store, asOf, today }: AgreementRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // About 16 MB of prepared JSON: the agreements dashboards poll, not the whole register.
    const views = new AgreementViews(16 * 2 ** 20);

    app.post('/agreements', {
      config: { roles: WRITERS },
      schema: {
        tags: ['agreements'],
        summary: 'Register an agreement',
        body: RegisterBody,
        headers: WriteHeaders,
        response: { 201: AgreementView, ...problems(400, 401, 403, 409, 413, 415, 422) },
      },
    }, async (request, reply) => {
      const { id, ...rest } = request.body;
      const result = await handler.handle(id, { type: 'RegisterAgreement', input: { agreementId: id, ...rest } }, commandMetadata(request));
      return reply
        .code(201)
        .header('location', `/agreements/${id}`)
        .header('etag', etag(result.revision))
        .header(POSITION_HEADER, String(result.events[0]!.position))
        .header('idempotent-replayed', String(result.replayed))
        .send(agreementView(result.state, result.revision, today()));
    });

    app.post('/agreements/:id/steps', {
      config: { roles: WRITERS },
      schema: {
        tags: ['agreements'],
        summary: 'Record one step of the lifecycle',
        params: AgreementParams,
        body: StepBody,
        headers: WriteHeaders,
        response: { 201: StepRecorded, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    }, async (request, reply) => {
      const { step, ...data } = request.body;
      const command: AgreementCommand = { type: 'RecordStep', step: step as StepName, data };
      return answerWrite(reply, await handler.handle(request.params.id, command, commandMetadata(request), ifMatch(request)));
    });

    app.post('/agreements/:id/corrections', {
      config: { roles: WRITERS },
      schema: {
        tags: ['agreements'],
        summary: 'Correct or withdraw a recorded step (history is never edited)',
        params: AgreementParams,
        body: CorrectionBody,
        headers: WriteHeaders,
        response: { 201: StepRecorded, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    }, async (request, reply) => {
      const body = request.body;
      const command: AgreementCommand =
        'withdraw' in body
          ? { type: 'WithdrawStep', input: { eventId: body.eventId, reason: body.reason } }
          : { type: 'CorrectStep', input: body };
      return answerWrite(reply, await handler.handle(request.params.id, command, commandMetadata(request), ifMatch(request)));
    });

    app.get('/agreements/:id', {
      config: { roles: READERS },
      schema: {
        tags: ['agreements'],
        summary: 'The agreement as it stands',
        params: AgreementParams,
        response: { 200: AgreementView, 304: z.null(), ...problems(401, 403, 404) },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      // Dashboards poll this: the JSON of each agreement is built once per revision, and answered
      // as it is while the store reports no commit since (see AgreementViews).
      const storeVersion = store.changeVersion?.();
      const day = today();
      let view = views.current(id, storeVersion, day);
      if (view === undefined) {
        const { state, revision } = await handler.load(id);
        if (!state.registration) throw notFound(id);
        view = views.at(id, revision, storeVersion, day, () => agreementView(state, revision, day));
      }
      reply.header('etag', view.etag);
      if (noneMatch(request.headers['if-none-match'], view.etag)) return reply.code(304).send(null);
      // A string: Fastify sends it as it is (the response schema above is for the OpenAPI document).
      return (reply as FastifyReply).type('application/json; charset=utf-8').send(view.json);
    });

    app.get('/agreements', {
      config: { roles: READERS },
      schema: {
        tags: ['agreements'],
        summary: 'The register: every agreement, most recent activity first, cursor-paginated',
        querystring: RegisterQuerySchema,
        response: { 200: RegisterPageView, ...problems(400, 401, 403, 503) },
      },
    }, async (request, reply) => {
      const { minPosition, recordedAsOf, occurredBy, ...query } = request.query;
      if (!(await caughtUp(register as unknown as Projector<unknown>, minPosition, reply as FastifyReply))) return reply;
      const day = today();
      const row = (entry: RegisterEntry) => registerRow(entry, day);
      if (recordedAsOf !== undefined || occurredBy !== undefined) {
        if (!permits(request, reply as FastifyReply, AUDIT_READERS, 'the register at another moment')) return reply;
        request.log.info({ audit: 'register', recordedAsOf, occurredBy }, 'audit read');
      }
      if (recordedAsOf !== undefined && occurredBy !== undefined) {
        const { entries, uncertain, damaged } = await asOf.bitemporal(recordedAsOf, partialDate(occurredBy));
        const page = queryRegister(entries, query);
        return { ...page, items: (page.items as OccurredByEntry[]).map(row), recordedAsOf, occurredBy, uncertainSteps: uncertain, position: register.position, ...(damaged.length > 0 ? { damaged } : {}) };
      }
      if (recordedAsOf !== undefined) {
        const { entries, damaged } = await asOf.recordedAsOf(recordedAsOf);
        const page = queryRegister(entries, query);
        return { ...page, items: page.items.map(row), recordedAsOf, position: register.position, ...(damaged.length > 0 ? { damaged } : {}) };
      }
      if (occurredBy !== undefined) {
        const { entries, uncertain } = await asOf.occurredBy(partialDate(occurredBy), today());
        const page = queryRegister(entries, query);
        return { ...page, items: (page.items as OccurredByEntry[]).map(row), occurredBy, uncertainSteps: uncertain, position: register.position };
      }
      const page = queryRegister([...register.values()].map(registerEntry), query);
      return { ...page, items: page.items.map(row), position: register.position };
    });
  };

/**
 * The answer to a write, serialised here: it is built from types the schema describes, and the
 * write path is the hot path (the zod serializer would parse it all again).
 */
function answerWrite(reply: FastifyReply, result: Awaited<ReturnType<CommandHandler['handle']>>) {
  const event = result.events[0]!;
  const body = { event: storedEventView(event), status: lifecycleState(result.state), allowedSteps: allowedSteps(result.state.machine), revision: result.revision };
  return reply
    .code(201)
    .header('etag', etag(result.revision))
    .header(POSITION_HEADER, String(event.position))
    .header('idempotent-replayed', String(result.replayed))
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(body));
}

function commandMetadata(request: FastifyRequest): CommandMetadata {
  const key = request.headers['idempotency-key'];
  const correlation = request.headers['x-correlation-id'];
  return {
    actor: request.principal!.name,
    // With an Idempotency-Key the command id is stable, so the store recognises a retry.
    commandId: typeof key === 'string' ? `idempotency:${request.principal!.name}:${key}` : randomUUID(),
    correlationId: typeof correlation === 'string' ? correlation : request.id,
    requestHash: createHash('sha256').update(`${request.method} ${request.url}\n${JSON.stringify(request.body)}`).digest('hex'),
  };
}

/** `If-Match: "3"` makes a write conditional; `*` only asks that the agreement exist, which every step write needs anyway. */
function ifMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  return typeof header === 'string' && header !== '*' ? Number(header.slice(1, -1)) : undefined;
}

/** If-None-Match compares weakly (RFC 9110): `W/"3"`, lists and `*` all count. */
function noneMatch(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === tag;
  });
}

function etag(revision: number): string {
  return `"${revision}"`;
}

function notFound(id: string) {
  return refuse.notFound('AGREEMENT_NOT_FOUND', `no agreement is registered under id ${id}`, { agreementId: id });
}
