import { z } from 'zod';
import {
  AgreementId, CorrectStepInput, LIFECYCLE_STATES, PartialDateText, RegisterAgreementInput, StepFields, StepNameSchema, WithdrawStepInput,
} from '../../../domain/agreement/index.js';

/** Request and response shapes of the agreement routes; the OpenAPI document is generated from them. */

export const AgreementParams = z.strictObject({ id: AgreementId });

export const RegisterBody = RegisterAgreementInput.omit({ agreementId: true }).extend({ id: AgreementId }).meta({ id: 'RegisterAgreement' });

export const StepBody = z.strictObject({ step: StepNameSchema, ...StepFields }).meta({ id: 'RecordStep' });

export const CorrectionBody = z
  .union([CorrectStepInput, WithdrawStepInput.extend({ withdraw: z.literal(true) })])
  .meta({ id: 'Correction', description: 'Either `changes` to a step, or `withdraw: true`; always with a `reason`.' });

const Dated = z.object({ occurredOn: z.string(), eventId: z.string() });

/** A step as every answer names it (register rows, agreements, dashboards). */
export const StepRefView = z
  .object({
    step: z.string(),
    occurredOn: z.string().describe('the partial date it happened on, as recorded'),
    occurredOnEdtf: z.string().describe('the same date in ISO 8601-2 (EDTF): 2021-Q4 is 2021-36, "in force by 9 September 2015" is ../2015-09-09'),
    eventId: z.string(),
  })
  .meta({ id: 'StepRef' });

export const PlannedStepView = StepRefView.extend({
  overdue: z.boolean().describe('its last possible day has passed and no firm step of its kind fulfils it (one not certainly earlier)'),
}).meta({ id: 'PlannedStep' });

const LAST_STEP = 'the last firm step in the world\'s order (by when steps happened, not when they were recorded); tentative steps are under planned';
const NEXT_PLANNED = 'the first planned (tentative) step by date that no firm step of its kind has fulfilled';

export const AgreementView = z
  .object({
    id: z.string(),
    title: z.string(),
    kind: z.string(),
    binding: z.boolean(),
    parties: z.array(z.string()),
    links: z.object({ amends: z.string().optional(), supersedes: z.string().optional(), negotiatedWith: z.array(z.string()).optional() }),
    note: z.string().optional(),
    source: z.string().optional(),
    status: z.enum(LIFECYCLE_STATES),
    milestones: z.record(z.string(), Dated.nullable()),
    lastStep: StepRefView.nullable().describe(LAST_STEP),
    nextPlanned: PlannedStepView.nullable().describe(NEXT_PLANNED),
    planned: z.array(PlannedStepView).describe('tentative steps not yet fulfilled, by first possible day'),
    allowedSteps: z.array(z.string()),
    revision: z.number().int(),
    anomalies: z.array(z.object({ eventId: z.string(), type: z.string(), state: z.string() })),
  })
  .meta({ id: 'Agreement' });

export const StoredEventView = z
  .object({
    eventId: z.string(),
    type: z.string(),
    step: z.string().optional(),
    revision: z.number().int(),
    position: z.number().int(),
    occurredOn: z.string().optional(),
    data: z.record(z.string(), z.unknown()),
    recordedAt: z.string(),
    recordedBy: z.string().optional(),
    commandId: z.string().optional(),
    correlationId: z.string().optional(),
  })
  .meta({ id: 'StoredEvent' });

export const StepRecorded = z
  .object({ event: StoredEventView, status: z.enum(LIFECYCLE_STATES), allowedSteps: z.array(z.string()), revision: z.number().int() })
  .meta({ id: 'StepRecorded' });

export const HistoryEntry = StoredEventView.extend({
  /** On a step: the corrections made to it since, and its withdrawal. */
  correctedBy: z.array(z.object({ eventId: z.string(), changes: z.record(z.string(), z.unknown()), reason: z.string() })).optional(),
  withdrawnBy: z.object({ eventId: z.string(), reason: z.string() }).optional(),
  /** On a step: the facts as they stand after corrections. */
  effective: z.record(z.string(), z.unknown()).optional(),
  /** On a correction or withdrawal: the step it points at. */
  corrects: z.string().optional(),
  /** With ?include=corrections, on a step: every version it had, who made it, when and why. */
  versions: z
    .array(z.object({
      version: z.number().int(),
      data: z.record(z.string(), z.unknown()).nullable(),
      eventId: z.string(),
      by: z.string().optional(),
      at: z.string(),
      reason: z.string().optional(),
      changes: z.record(z.string(), z.unknown()).optional(),
      withdrawn: z.boolean().optional(),
    }))
    .optional(),
});

const POSSIBLE_STATUS =
  'occurredBy only, and only when the status is uncertain: the status had every uncertain step happened by the boundary (an agreement "in force by 2015-09-09" is in force by that day, and possibly in force before it)';

export const AsOfQuery = z
  .strictObject({
    recordedAsOf: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp such as 2021-03-20T12:00:00Z' }).optional(),
    occurredBy: PartialDateText.optional(),
  })
  .refine((query) => query.recordedAsOf !== undefined || query.occurredBy !== undefined, 'give recordedAsOf, occurredBy, or both (the world by that date, as the ledger knew it at that moment)');

export const AsOfView = z
  .object({
    agreementId: z.string(),
    recordedAsOf: z.string().optional(),
    occurredBy: z.string().optional(),
    agreement: AgreementView,
    /** occurredBy: steps whose dates may fall either side of the boundary, not counted. */
    uncertain: z.array(z.object({ step: z.string(), occurredOn: z.string(), eventId: z.string() })),
    /** occurredBy: how many steps certainly came later. */
    later: z.number().int(),
    possibleStatus: z.string().optional().describe(POSSIBLE_STATUS),
  })
  .meta({ id: 'AgreementAsOf' });

export const HistoryQuery = z.strictObject({
  include: z.literal('corrections', { error: "the only thing to include is 'corrections'" }).optional(),
});

export const History = z.object({ agreementId: z.string(), revision: z.number().int(), events: z.array(HistoryEntry) }).meta({ id: 'History' });

export const RegisterQuerySchema = z.strictObject({
  status: z.enum(LIFECYCLE_STATES).optional(),
  kind: z.string().max(80).optional(),
  party: z.string().max(200).optional(),
  binding: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(100).optional(),
  minPosition: z.coerce.number().int().min(0).optional(),
  /** Auditors: the register as the ledger knew it at that moment, by replay of the log. */
  recordedAsOf: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp such as 2021-03-20T12:00:00Z' }).optional(),
  /** Auditors: the register as it stood in the world by that (partial) date, by what is known now (or at recordedAsOf). */
  occurredBy: PartialDateText.optional(),
});

export const RegisterEntryView = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.string(),
  binding: z.boolean(),
  parties: z.array(z.string()),
  status: z.string(),
  lastStep: StepRefView.nullable().describe(LAST_STEP),
  nextPlanned: PlannedStepView.nullable().describe(NEXT_PLANNED),
  lastPosition: z.number().int(),
  lastRecordedAt: z.string(),
  /** occurredBy only: steps whose dates may fall either side of the boundary, listed and not counted. */
  uncertainSteps: z.array(z.object({ step: z.string(), occurredOn: z.string(), eventId: z.string() })).optional(),
  possibleStatus: z.string().optional().describe(POSSIBLE_STATUS),
});

export const RegisterPageView = z
  .object({
    items: z.array(RegisterEntryView),
    nextCursor: z.string().nullable(),
    total: z.number().int(),
    position: z.number().int(),
    recordedAsOf: z.string().optional(),
    occurredBy: z.string().optional(),
    /** occurredBy only: how many steps straddle the boundary in the whole register. */
    uncertainSteps: z.number().int().optional(),
    /** recordedAsOf only: agreements left out because their stored events are damaged, and where. */
    damaged: z.array(z.object({ agreementId: z.string(), position: z.number().int().optional() })).optional(),
  })
  .meta({ id: 'RegisterPage' });

export const ProblemView = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json) with a stable code' });
