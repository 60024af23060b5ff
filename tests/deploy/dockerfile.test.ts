import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contextFiles, copiesOf, copyFromContext, dockerignore, parseDockerfile, readRepoFile, root, runsOf, type Stage } from './dockerfile.js';

const stages = parseDockerfile(readRepoFile('Dockerfile'));
const ignored = dockerignore(readRepoFile('.dockerignore'));
const pkg = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
const final = stages.at(-1)!;
const buildStage = stages.find((stage) => runsOf(stage).includes('npm run build'));
const stageNamed = (name: string) => stages.find((stage) => stage.name === name);
/** A stage and the stages it is built FROM, base first. */
const lineage = (stage: Stage): Stage[] => (stageNamed(stage.from) ? [...lineage(stageNamed(stage.from)!), stage] : [stage]);

describe('the Dockerfile', () => {
  it('builds with the same `npm run build` the package defines, in its own stage', () => {
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json');
    expect(buildStage, 'a stage that runs `npm run build`').toBeDefined();
    expect(buildStage).not.toBe(final);
  });

  it('runs as a non-root user on a current Node LTS, with production dependencies from `npm ci --omit=dev`', () => {
    const user = final.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user, 'USER in the final stage').toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    for (const stage of stages.filter((s) => !stageNamed(s.from))) {
      const major = Number(/^node:(\d+)/.exec(stage.from)?.[1]);
      expect(major >= 22 && major % 2 === 0, `stage ${stage.name} FROM ${stage.from}`).toBe(true);
    }
    const modules = copiesOf(final).find((copy) => copy.sources.some((source) => source.endsWith('/node_modules')));
    expect(modules?.from, 'node_modules copied from another stage').toBeDefined();
    expect(runsOf(stageNamed(modules!.from!)!).some((run) => /^npm ci\b.*--omit=dev/.test(run))).toBe(true);
    expect(final.instructions.some((i) => i.keyword === 'HEALTHCHECK')).toBe(true);
  });

  it('copies only folders that exist, and .dockerignore keeps them while leaving out local data, tokens and .env', () => {
    for (const stage of stages)
      for (const copy of copiesOf(stage).filter((c) => !c.from))
        for (const source of copy.sources) expect(contextFiles(source, ignored).length, `COPY ${source} (stage ${stage.name})`).toBeGreaterThan(0);
    for (const include of tsconfigBuildIncludes()) {
      const copied = lineage(buildStage!).flatMap(copiesOf).flatMap((copy) => copy.sources);
      expect(copied, `tsconfig.build.json includes ${include}`).toContain(include);
    }
    expect(ignored('data/demo/agreements.json')).toBe(false);
    for (const path of ['data/api-tokens.json', 'data/ledger.sqlite', '.env', 'node_modules/fastify/package.json', '.git/HEAD', 'dist/src/server.js'])
      expect(ignored(path), path).toBe(true);
  });
});

describe('the image, assembled here as its stages would assemble it', () => {
  const work = mkdtempSync(join(tmpdir(), 'ledger-image-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const dirs = new Map<string, string>();

  /** Runs a stage's steps into its own folder; the dependency install is stood in for by this checkout's node_modules. */
  function assemble(stage: Stage): string {
    const dir = join(work, stage.name);
    if (dirs.has(stage.name)) return dirs.get(stage.name)!;
    const parent = stageNamed(stage.from);
    if (parent) cpSync(assemble(parent), dir, { recursive: true, verbatimSymlinks: true });
    dirs.set(stage.name, dir);
    for (const { keyword, args } of stage.instructions) {
      if (keyword === 'WORKDIR') expect(args).toBe('/app');
      if (keyword === 'COPY') {
        const copy = copiesOf({ ...stage, instructions: [{ keyword, args }] })[0]!;
        if (!copy.from) copyFromContext(copy, dir, ignored);
        else for (const source of copy.sources) cpSync(join(assemble(stageNamed(copy.from)!), source.replace(/^\/app\/?/, '')), join(dir, copy.destination), { recursive: true, verbatimSymlinks: true });
      }
      if (keyword !== 'RUN') continue;
      const run = args.replace(/\s+/g, ' ');
      if (/^npm ci\b/.test(run)) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
      else if (run === 'npm run build') build(dir);
      else if (!/^apt-get update && apt-get install .*python3 make g\+\+/.test(run) && !/^mkdir -p \/data && chown /.test(run))
        throw new Error(`this test does not know how to stand in for RUN ${run}`);
    }
    return dir;
  }

  it('builds, imports only production dependencies, and starts with the demo data from its CMD', { timeout: 120_000 }, async () => {
    const app = assemble(final);
    const built = jsFiles(join(app, 'dist'));
    expect(built.length).toBeGreaterThan(0);
    const packages = new Set(built.flatMap((file) => bareImports(readFileSync(file, 'utf8'))));
    expect([...packages].filter((name) => !(name in pkg.dependencies)), 'imported but left out by npm ci --omit=dev').toEqual([]);

    const cmd = JSON.parse(final.instructions.filter((i) => i.keyword === 'CMD').at(-1)!.args) as string[];
    expect(cmd[0]).toBe('node');
    const env = Object.fromEntries(final.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => i.args.split(/\s+/).map((pair) => pair.split('='))));
    const logs = await startAndCheckHealth(app, cmd.slice(1), { ...env, HOST: '127.0.0.1', PORT: '0', DATA_DIR: join(work, 'data'), LOG_LEVEL: 'info' });
    expect(logs.some((line) => line.includes('"demo data loaded"'))).toBe(true);
  });
});

/** `npm run build` in the assembled folder; a failure shows the compiler's own words. */
function build(dir: string): void {
  try {
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed in the assembled build stage:\n${stdout}${stderr}`);
  }
}

function tsconfigBuildIncludes(): string[] {
  return (JSON.parse(readRepoFile('tsconfig.build.json')) as { include: string[] }).include;
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? jsFiles(path) : name.endsWith('.js') ? [path] : [];
  });
}

/** The packages a compiled file imports (static, re-export and dynamic), without Node's own modules. */
function bareImports(source: string): string[] {
  const patterns = [/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"\s]+)['"]/gm, /^\s*import\s*['"]([^'"\s]+)['"]/gm, /\bimport\(\s*['"]([^'"\s]+)['"]\s*\)/g, /\bresolve\(\s*['"]([^'"\s]+)['"]\s*\)/g];
  const specifiers = patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!));
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s.split('/')[0]!))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

/** Starts the image's command on loopback, asks /health, stops it with SIGTERM; resolves with its log lines. */
function startAndCheckHealth(cwd: string, args: string[], env: Record<string, string>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    // As in a container: the image's ENV and nothing of this shell's (no API_TOKENS, EVENT_STORE, ...).
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: string[] = [];
    const fail = (error: Error) => {
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${logs.join('\n')}`));
    };
    const timer = setTimeout(() => fail(new Error('the server did not start within 60 s')), 60_000);
    child.stderr.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (buffer + chunk.toString()).split('\n');
      buffer = lines.pop()!;
      for (const line of lines.filter(Boolean)) {
        logs.push(line);
        const address = /"msg":"agreement-ledger is listening"/.test(line) ? (JSON.parse(line) as { address: string }).address : undefined;
        if (!address) continue;
        clearTimeout(timer);
        fetch(`${address}/health`)
          .then((response) => {
            if (response.status !== 200) throw new Error(`/health answered ${response.status}`);
            child.removeAllListeners('exit');
            child.once('exit', (code) => (code === 0 ? resolve(logs) : reject(new Error(`exit ${code} after SIGTERM\n${logs.join('\n')}`))));
            child.kill('SIGTERM');
          })
          .catch(fail);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before it answered\n${logs.join('\n')}`));
    });
  });
}
