import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { lockDataDir } from '../../src/data-dir/lock.js';

const root = join(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'ledger-rebuild-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, script), ...args], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, encoding: 'utf8' });

describe('npm run rebuild -- [name]', () => {
  it('folds the whole log again and reports its progress to the end', () => {
    expect(run('src/cli/import.ts', demoDatasetPath()).status).toBe(0);
    const result = run('src/cli/rebuild.ts', 'register');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/register: position (\d+)\/\1 \(100\.0%\), \d+ events\/s, ETA 0 s\n$/);
  }, 60_000);

  it('refuses while a server uses the data directory, and refuses an unknown model', () => {
    const server = lockDataDir(dataDir, 'server');
    const busy = run('src/cli/rebuild.ts');
    expect(busy.status).toBe(64);
    expect(busy.stderr).toContain(`${dataDir} is in use by pid ${process.pid} (server)`);
    server.release();
    const unknown = run('src/cli/rebuild.ts', 'nope');
    expect(unknown.status).toBe(64);
    expect(unknown.stderr).toContain("unknown read model 'nope'; known: register");
  }, 60_000);
});
