import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleState, type AgreementState } from '../../domain/agreement/index.js';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { importDataset, type ImportReport } from '../../src/application/import-agreements.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';

/** The shipped demo data, read from seed 004, imported through the command path into a real store. */
describe('real histories from the demo dataset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-real-'));
  const store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
  const handler = new CommandHandler(store);
  const dataset = JSON.parse(readFileSync(demoDatasetPath(), 'utf8'));
  let report: ImportReport;
  const state = async (id: string): Promise<AgreementState> => (await handler.load(id)).state;
  const timeline = (s: AgreementState) => s.steps.map((step) => `${step.step}@${step.data.occurredOn}${step.data.tentative ? '?' : ''}`);

  beforeAll(async () => {
    report = await importDataset(handler, dataset, 'test');
  }, 60_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports every agreement and every step with zero refusals', () => {
    expect(report.refusals).toEqual([]);
    expect(report.agreements.registered).toBe(dataset.agreements.length);
    expect(report.agreements.registered).toBeGreaterThanOrEqual(60);
    expect(report.steps.recorded).toBeGreaterThanOrEqual(200);
  });

  it('cites a source line of the seeds for every step', () => {
    for (const agreement of dataset.agreements) for (const step of agreement.steps) expect(step.source, `${agreement.id} ${step.step}`).toMatch(/^00[0-4]:\d+$/);
  });

  it('imports nothing twice when the same data comes again', async () => {
    const again = await importDataset(handler, dataset, 'test');
    expect(again.steps).toEqual({ recorded: 0, alreadyPresent: report.steps.recorded, refused: 0 });
    expect(await store.headPosition()).toBe(report.agreements.registered + report.steps.recorded);
  });

  it('EU-Belarus readmission: a final round, texts agreed, in force, then Belarus announces suspension', async () => {
    const belarus = await state('eu-belarus-readmission');
    expect(lifecycleState(belarus)).toBe('suspension_announced');
    expect(timeline(belarus)).toEqual(['round_held@2019-03-26', 'negotiations_concluded@2019-03-29', 'entered_into_force@2020-07-01', 'suspension_announced@2021-06-28']);
    expect(belarus.registration?.links.negotiatedWith).toContain('eu-belarus-visa-facilitation');
  });

  it('EU-Cabo Verde visa facilitation amendment: signed 18 March 2021 (21 March in another place), sent for consent, entry into force expected', async () => {
    const caboVerde = await state('eu-cabo-verde-visa-facilitation-amendment');
    expect(caboVerde.registration?.links.amends).toBe('eu-cabo-verde-visa-facilitation');
    const signature = caboVerde.steps.find((s) => s.step === 'signed');
    expect(signature?.data.occurredOn).toBe('2021-03-18');
    expect(signature?.data.alternativeDates).toEqual([expect.objectContaining({ occurredOn: '2021-03-21' })]);
    expect(lifecycleState(caboVerde)).toBe('ratifying');
    expect(timeline(caboVerde).at(-1)).toBe('entered_into_force@2021-autumn?');
  });

  it('EU-Nigeria readmission: rounds, stalled in 2018, relaunched, numbered rounds from 6', async () => {
    const nigeria = await state('eu-nigeria-readmission');
    const steps = timeline(nigeria);
    expect(steps.indexOf('negotiations_stalled@2018')).toBeLessThan(steps.findIndex((s) => s.startsWith('negotiations_relaunched')));
    const rounds = nigeria.steps.filter((s) => s.step === 'round_held' && s.data.round !== undefined).map((s) => s.data.round);
    expect(rounds.slice(0, 2)).toEqual([5, 6]);
    expect(rounds).toEqual([...rounds].sort((a, b) => a! - b!));
    expect(lifecycleState(nigeria)).toBe('negotiating');
  });

  it('EU-Turkey readmission: entered into force in two stages', async () => {
    const turkey = await state('eu-turkey-readmission');
    const stages = turkey.steps.filter((s) => s.step === 'entered_into_force');
    expect(stages.map((s) => s.data.occurredOn)).toEqual(['2014-10', '2016-06-01']);
    expect(stages.every((s) => s.data.scope)).toBe(true);
    expect(lifecycleState(turkey)).toBe('in_force');
  });

  it('EU-Belarus PCA: signed in 1995, ratification frozen since 1997', async () => {
    const pca = await state('eu-belarus-pca');
    expect(timeline(pca)).toEqual(['signed@1995', 'ratification_frozen@1997']);
    expect(lifecycleState(pca)).toBe('ratification_frozen');
  });

  it.each([
    ['eu-bosnia-herzegovina-frontex-status-agreement', 'initialled@2019'],
    ['eu-north-macedonia-frontex-status-agreement', 'initialled@2018-07'],
  ])('%s: a Frontex status agreement, initialled', async (id, first) => {
    const frontex = await state(id);
    expect(frontex.registration?.kind).toBe('status_agreement');
    expect(timeline(frontex)[0]).toBe(first);
    expect(frontex.anomalies).toEqual([]);
  });
});
