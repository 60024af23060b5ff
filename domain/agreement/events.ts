import { z } from 'zod';
import { parsePartialDate, PARTIAL_DATE_FORMS } from '../shared/partial-date.js';
import { KIND_PATTERN } from './kinds.js';
import { STEP_NAMES, type StepEventType } from './steps.js';

/** Zod schemas of every domain event's data. What is stored is exactly this, never an xstate snapshot. */

export const AGREEMENT_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export const AgreementId = z
  .string()
  .max(120, 'must be at most 120 characters')
  .regex(AGREEMENT_ID, 'must be a lowercase slug such as eu-belarus-readmission');

export const PartialDateText = z.string().superRefine((value, context) => {
  const parsed = parsePartialDate(value);
  if (!parsed.ok) {
    const message = parsed.rule.includes(PARTIAL_DATE_FORMS) ? parsed.rule : `${parsed.rule} (forms: ${PARTIAL_DATE_FORMS})`;
    context.addIssue({ code: 'custom', message });
  }
});

const DAY_FORM = /^\d{4}-\d{2}-\d{2}$/;

/** One day of the calendar, YYYY-MM-DD, for parameters that take a day and nothing coarser. */
export const DayText = z
  .string()
  .regex(DAY_FORM, 'must be a day, YYYY-MM-DD')
  .superRefine((value, context) => {
    // The form is reported above; the calendar is checked only for text of that form.
    if (!DAY_FORM.test(value)) return;
    const parsed = parsePartialDate(value);
    if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.rule });
  });

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** A source reference such as "004:1594" (seed file and line) or any citation text. */
export const SourceRef = text(300);

export const MeetingStatus = z.enum(['held', 'planned', 'written_procedure', 'replaced_by_call']);

export const AlternativeDate = z.strictObject({
  occurredOn: PartialDateText,
  source: SourceRef.optional(),
  note: text(1000).optional(),
});

/** The facts a step may carry. Which of them a step needs is checked by `decide`. */
export const StepFields = {
  occurredOn: PartialDateText,
  /** "tbc", "expected", "planned": recorded, shown, but not yet a fact the lifecycle moves on. */
  tentative: z.boolean().optional(),
  dateText: text(200).optional(),
  alternativeDates: z.array(AlternativeDate).max(10).optional(),
  party: text(200).optional(),
  round: z.int().min(1).max(1000).optional(),
  location: text(200).optional(),
  body: text(300).optional(),
  scope: text(500).optional(),
  meetingStatus: MeetingStatus.optional(),
  note: text(4000).optional(),
  source: SourceRef.optional(),
};

export const StepData = z.strictObject(StepFields);
export type StepData = z.infer<typeof StepData>;

/**
 * What a correction may change: any fact of the step but its kind. `null` removes a fact that was
 * recorded wrongly (a party that did not sign); the date can be changed but not removed.
 */
const { occurredOn: _date, ...removableFields } = StepFields;
export const StepChanges = z
  .strictObject({
    occurredOn: PartialDateText.optional(),
    ...(Object.fromEntries(Object.entries(removableFields).map(([key, schema]) => [key, schema.unwrap().nullable().optional()])) as {
      [K in keyof typeof removableFields]: z.ZodOptional<z.ZodNullable<ReturnType<(typeof removableFields)[K]['unwrap']>>>;
    }),
  })
  .refine((changes) => Object.keys(changes).length > 0, 'must change at least one field');
export type StepChanges = z.infer<typeof StepChanges>;

export const Links = z.strictObject({
  amends: AgreementId.optional(),
  supersedes: AgreementId.optional(),
  negotiatedWith: z.array(AgreementId).max(20).optional(),
});

export const AgreementRegisteredData = z.strictObject({
  agreementId: AgreementId,
  title: text(300),
  kind: z.string().max(80).regex(KIND_PATTERN, 'must be snake_case, such as readmission_agreement'),
  binding: z.boolean(),
  parties: z.array(text(200)).min(2, 'an agreement has at least two parties').max(60),
  links: Links.default({}),
  note: text(4000).optional(),
  source: SourceRef.optional(),
});
export type AgreementRegisteredData = z.infer<typeof AgreementRegisteredData>;

export const StepCorrectedData = z.strictObject({
  correctedEventId: z.uuid(),
  changes: StepChanges,
  reason: text(2000),
});
export type StepCorrectedData = z.infer<typeof StepCorrectedData>;

export const StepWithdrawnData = z.strictObject({
  withdrawnEventId: z.uuid(),
  reason: text(2000),
});
export type StepWithdrawnData = z.infer<typeof StepWithdrawnData>;

export type AgreementEvent =
  | { type: 'AgreementRegistered'; data: AgreementRegisteredData }
  | { type: StepEventType; data: StepData }
  | { type: 'StepCorrected'; data: StepCorrectedData }
  | { type: 'StepWithdrawn'; data: StepWithdrawnData };


/** An event as the domain sees it once stored: with its id, so corrections can point at it. */
export type RecordedEvent = AgreementEvent & { id: string };

export const StepNameSchema = z.enum(STEP_NAMES as [string, ...string[]], { error: `must be one of: ${STEP_NAMES.join(', ')}` });
