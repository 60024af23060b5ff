import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RegisterAgreementInput, StepData, StepNameSchema, type StepName } from '../../domain/agreement/index.js';
import { DomainError } from '../../domain/shared/errors.js';
import type { CommandHandler } from './handle-command.js';

/**
 * The dataset format (data/demo/agreements.json): agreements with their steps, each step citing
 * its source. Importing goes through the same command path as desk officers, so the lifecycle
 * rules check every step; a refused step is reported with its reason, never forced in.
 */
export const DatasetStep = z.looseObject({ step: StepNameSchema }).transform((raw, context) => {
  const { step, ...fields } = raw;
  const parsed = StepData.safeParse(fields);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) context.addIssue({ ...issue } as never);
    return z.NEVER;
  }
  return { step: step as StepName, data: parsed.data };
});

export const DatasetAgreement = RegisterAgreementInput.omit({ agreementId: true })
  .extend({ id: RegisterAgreementInput.shape.agreementId, steps: z.array(z.unknown()).default([]) });

export const Dataset = z.looseObject({ agreements: z.array(z.unknown()) });

export interface ImportReport {
  agreements: { registered: number; alreadyPresent: number; refused: number };
  steps: { recorded: number; alreadyPresent: number; refused: number };
  refusals: Array<{ agreementId: string; index?: number; step?: string; code: string; reason: string }>;
}

/**
 * Imports a dataset. Command ids are derived from each agreement's id and each step's content,
 * so importing the same data twice (under any file name, reordered or extended) records nothing twice.
 */
export async function importDataset(handler: CommandHandler, dataset: unknown, actor: string): Promise<ImportReport> {
  const report: ImportReport = {
    agreements: { registered: 0, alreadyPresent: 0, refused: 0 },
    steps: { recorded: 0, alreadyPresent: 0, refused: 0 },
    refusals: [],
  };
  const parsed = Dataset.safeParse(dataset);
  if (!parsed.success) throw new Error(`not a dataset: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);

  for (const [position, raw] of parsed.data.agreements.entries()) {
    const agreement = DatasetAgreement.safeParse(raw);
    const rawId = (raw as { id?: unknown })?.id;
    const agreementId = typeof rawId === 'string' ? rawId : `#${position}`;
    if (!agreement.success) {
      report.agreements.refused++;
      report.refusals.push({ agreementId, code: 'INVALID', reason: describe(agreement.error) });
      continue;
    }
    const { id, steps, ...registration } = agreement.data;
    const registered = await run(report, agreementId, undefined, async () =>
      handler.handle(id, { type: 'RegisterAgreement', input: { agreementId: id, ...registration } }, {
        actor,
        commandId: `import:${id}:register:${digest(registration)}`,
      }),
    );
    if (registered === 'refused') {
      report.agreements.refused++;
      continue;
    }
    report.agreements[registered === 'new' ? 'registered' : 'alreadyPresent']++;
    const seen = new Map<string, number>();
    for (const [index, rawStep] of steps.entries()) {
      // The command id follows the step's content, not its place in the file: inserting a step
      // in the file and importing again records that step alone. Identical steps are counted.
      const content = digest(rawStep);
      const occurrence = (seen.get(content) ?? 0) + 1;
      seen.set(content, occurrence);
      const step = DatasetStep.safeParse(rawStep);
      if (!step.success) {
        report.steps.refused++;
        report.refusals.push({ agreementId, index, step: (rawStep as { step?: string })?.step, code: 'INVALID', reason: describe(step.error) });
        continue;
      }
      const outcome = await run(report, agreementId, { index, step: step.data.step }, () =>
        handler.handle(id, { type: 'RecordStep', step: step.data.step, data: step.data.data }, {
          actor,
          commandId: `import:${id}:step:${content}:${occurrence}`,
        }),
      );
      if (outcome === 'refused') report.steps.refused++;
      else report.steps[outcome === 'new' ? 'recorded' : 'alreadyPresent']++;
    }
  }
  return report;
}

async function run(
  report: ImportReport,
  agreementId: string,
  where: { index: number; step: string } | undefined,
  attempt: () => Promise<{ replayed: boolean }>,
): Promise<'new' | 'replayed' | 'refused'> {
  try {
    return (await attempt()).replayed ? 'replayed' : 'new';
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    // Registering what is already there (from an earlier import with other ids) is not a refusal of the data.
    if (error.code === 'AGREEMENT_EXISTS' && !where) return 'replayed';
    report.refusals.push({ agreementId, ...where, code: error.code, reason: error.message });
    return 'refused';
  }
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
