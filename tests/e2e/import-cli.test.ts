import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoDatasetPath } from '../../src/application/demo-data.js';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'ledger-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runImport = (file: string, dataDir: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/import.ts'), file], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });

describe('npm run import -- <file>', () => {
  it('imports the whole demo dataset with zero refusals, and nothing twice on a second run', () => {
    const first = runImport(demoDatasetPath(), join(dir, 'demo'));
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^agreements: \d+ registered, 0 already present, 0 refused\nsteps: \d+ recorded, 0 already present, 0 refused\n$/);
    const second = runImport(demoDatasetPath(), join(dir, 'demo'));
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/agreements: 0 registered, \d+ already present, 0 refused\nsteps: 0 recorded, \d+ already present, 0 refused/);
  }, 60_000);

  it('reports each refused step with its reason and exits 2', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({
      agreements: [{
        id: 'eu-testland-readmission', title: 'EU-Testland', kind: 'readmission_agreement', parties: ['EU', 'Testland'],
        steps: [
          { step: 'signed', occurredOn: '2020-05-04', source: 'test:1' },
          { step: 'round_held', occurredOn: '2020-06', round: 2, source: 'test:2' },
          { step: 'entered_into_force', occurredOn: '21 March 2021', source: 'test:3' },
        ],
      }],
    }));
    const result = runImport(file, join(dir, 'bad'));
    expect(result.status).toBe(2);
    expect(result.stdout).toContain('steps: 1 recorded, 0 already present, 2 refused');
    expect(result.stdout).toContain("refused eu-testland-readmission step 1 (round_held): ILLEGAL_STEP: round_held on 2020-06 cannot be recorded: in the world's order it comes after signed on 2020-05-04");
    expect(result.stdout).toMatch(/refused eu-testland-readmission step 2 \(entered_into_force\): INVALID: occurredOn: must be one of/);
  }, 60_000);
});

describe('importing an edited dataset again', () => {
  it('records only the step that was inserted, however the later steps moved', () => {
    const file = join(dir, 'edited.json');
    const steps = [
      { step: 'meeting_held', occurredOn: '2019-03', body: 'Joint Committee', source: 'test:1' },
      { step: 'meeting_held', occurredOn: '2020-03', body: 'Joint Committee', source: 'test:3' },
    ];
    const agreement = { id: 'eu-testland-mp', title: 'EU-Testland Mobility Partnership', kind: 'mobility_partnership', parties: ['EU', 'Testland'] };
    writeFileSync(file, JSON.stringify({ agreements: [{ ...agreement, steps }] }));
    expect(runImport(file, join(dir, 'edited')).stdout).toContain('steps: 2 recorded, 0 already present, 0 refused');
    const inserted = { step: 'meeting_held', occurredOn: '2019-09', body: 'Joint Committee', source: 'test:2' };
    writeFileSync(file, JSON.stringify({ agreements: [{ ...agreement, steps: [steps[0], inserted, steps[1]] }] }));
    expect(runImport(file, join(dir, 'edited')).stdout).toContain('steps: 1 recorded, 2 already present, 0 refused');
  }, 60_000);
});
