import { z } from 'zod';
import { AgreementId, Links, SourceRef, StepChanges, StepData } from './events.js';
import { KIND_PATTERN } from './kinds.js';
import type { StepName } from './steps.js';

/** Commands are what people ask for; `decide` turns them into events or refuses them. */

export const RegisterAgreementInput = z.strictObject({
  agreementId: AgreementId,
  title: z.string().trim().min(1).max(300),
  kind: z.string().max(80).regex(KIND_PATTERN, 'must be snake_case, such as readmission_agreement'),
  /** Optional for known kinds (a mobility partnership is not binding); required for a new kind. */
  binding: z.boolean().optional(),
  parties: z.array(z.string().trim().min(1).max(200)).min(2, 'an agreement has at least two parties').max(60),
  links: Links.optional(),
  note: z.string().trim().min(1).max(4000).optional(),
  source: SourceRef.optional(),
});
export type RegisterAgreementInput = z.infer<typeof RegisterAgreementInput>;

export const CorrectStepInput = z.strictObject({
  eventId: z.uuid(),
  changes: StepChanges,
  reason: z.string().trim().min(1, 'say why the step is corrected').max(2000),
});

export const WithdrawStepInput = z.strictObject({
  eventId: z.uuid(),
  reason: z.string().trim().min(1, 'say why the step is withdrawn').max(2000),
});

export type AgreementCommand =
  | { type: 'RegisterAgreement'; input: RegisterAgreementInput }
  | { type: 'RecordStep'; step: StepName; data: StepData }
  | { type: 'CorrectStep'; input: z.infer<typeof CorrectStepInput> }
  | { type: 'WithdrawStep'; input: z.infer<typeof WithdrawStepInput> };
