import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoDatasetPath } from '../../src/application/demo-data.js';

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'ledger-transfer-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (dataDir: string, script: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, script), ...args], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, encoding: 'utf8' });

describe('npm run export-log / import-log', () => {
  it('moves the log to a fresh data directory, verifies it there, and refuses to mix it into a non-empty store unless merging', () => {
    const from = join(work, 'from');
    const to = join(work, 'to');
    const file = join(work, 'log.ndjson');
    expect(run(from, 'src/cli/import.ts', demoDatasetPath()).status).toBe(0);

    const exported = run(from, 'src/cli/export-log.ts', file);
    expect(exported.stderr).toBe('');
    expect(exported.status).toBe(0);
    // The whole log, with who recorded what: its owner's only.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const events = readFileSync(file, 'utf8').trimEnd().split('\n').length - 2;
    expect(exported.stdout).toContain(`ok: ${events} events up to position ${events} written to ${file}`);
    const again = run(from, 'src/cli/export-log.ts', file);
    expect(again.status).toBe(64);
    expect(again.stderr).toContain('an export never overwrites a file');

    const imported = run(to, 'src/cli/import-log.ts', file);
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    expect(imported.stdout).toContain(`imported ${events} events, 0 already held`);
    expect(imported.stdout).toContain(`ok: verified ${events} events`);
    expect(run(to, 'src/cli/verify.ts').status).toBe(0);

    const refused = run(to, 'src/cli/import-log.ts', file);
    expect(refused.status).toBe(65);
    expect(refused.stderr).toContain('refused: the store is not empty');
    const merged = run(to, 'src/cli/import-log.ts', file, '--merge');
    expect(merged.status).toBe(0);
    expect(merged.stdout).toContain(`imported 0 events, ${events} already held`);
  }, 120_000);
});
