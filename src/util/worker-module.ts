import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the module at `base` (its `import.meta.url`).
 * Built (`npm run build`), that is the compiled `name.js`. Run from source (tsx, vitest) only
 * `name.ts` exists, and dev/ts-worker.cjs loads it through tsx.
 */
export function startWorker(name: string, base: string, options: WorkerOptions = {}): Worker {
  const compiled = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, options);
  const source = fileURLToPath(new URL(`./${name}.ts`, base));
  return new Worker(new URL('../../dev/ts-worker.cjs', import.meta.url), { ...options, argv: [source] });
}
