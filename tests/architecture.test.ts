import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mts|cts)$/.test(name) ? [path] : [];
  });
}

/** Every module specifier a file imports, re-exports or loads dynamically. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

function violations(folder: string, allowed: (specifier: string, file: string) => boolean, base = root): string[] {
  return sourceFiles(join(base, folder)).flatMap((file) =>
    importsOf(readFileSync(file, 'utf8'))
      .filter((specifier) => !allowed(specifier, file))
      .map((specifier) => `${relative(base, file)} imports '${specifier}'`),
  );
}

const insideFolder = (folder: string, base = root) => (specifier: string, file: string) =>
  specifier.startsWith('.') && !relative(join(base, folder), join(file, '..', specifier)).startsWith('..');

/** Pure libraries only: validation, the lifecycle machine, and the ISO 8601-2 date parser. */
const domainAllows = (base: string) => (specifier: string, file: string) =>
  specifier === 'zod' || specifier.startsWith('zod/') || specifier === 'xstate' || specifier === 'edtf' || insideFolder('domain', base)(specifier, file);

const projectionsAllow = (base: string) => (specifier: string, file: string) =>
  !specifier.startsWith('.') ? !specifier.startsWith('node:') && !specifier.includes('src/') : !relative(base, join(file, '..', specifier)).startsWith('src');

describe('the layering rule: arrows point inward', () => {
  it('keeps domain/ pure: it imports only zod, xstate, edtf and itself', () => {
    expect(violations('domain', domainAllows(root))).toEqual([]);
  });

  it('keeps projections/ free of src/: it imports zod, xstate, domain/ and itself', () => {
    expect(violations('projections', projectionsAllow(root))).toEqual([]);
  });

  it('flags a domain file that does I/O and a projection that reaches into src/', () => {
    const base = mkdtempSync(join(tmpdir(), 'ledger-arch-'));
    mkdirSync(join(base, 'domain/agreement'), { recursive: true });
    mkdirSync(join(base, 'projections/register'), { recursive: true });
    writeFileSync(join(base, 'domain/agreement/ok.ts'), `import { z } from 'zod';\nimport { setup } from 'xstate';\nimport { x } from '../shared/dates.js';`);
    writeFileSync(join(base, 'domain/agreement/bad.ts'), `import { readFileSync } from 'node:fs';\nimport { y } from '../../src/config.js';`);
    writeFileSync(join(base, 'projections/register/bad.ts'), `import { s } from '../../src/event-store/port.js';\nimport { d } from '../../domain/agreement/index.js';`);
    try {
      expect(violations('domain', domainAllows(base), base)).toEqual([
        "domain/agreement/bad.ts imports 'node:fs'",
        "domain/agreement/bad.ts imports '../../src/config.js'",
      ]);
      expect(violations('projections', projectionsAllow(base), base)).toEqual(["projections/register/bad.ts imports '../../src/event-store/port.js'"]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('recognises the import forms it checks', () => {
    const source = `import { a } from 'fastify';\nexport * from "../src/x.js";\nimport 'node:fs';\nconst m = await import('pg');`;
    expect(importsOf(source)).toEqual(['fastify', '../src/x.js', 'node:fs', 'pg']);
  });
});
