import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the module at `base` (its `import.meta.url`).
 * Built (`npm run build`), that is the compiled `name.js`. Run from source (tsx, vitest) only
 * `name.ts` exists: a worker thread shares neither vitest's transform nor, on Node 20, the
 * parent's ESM loader hooks, so a bootstrap registers tsx's require hook in the thread first.
 */
export function startWorker(name: string, base: string, options: WorkerOptions = {}): Worker {
  const compiled = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, options);
  const tsx = createRequire(base).resolve('tsx/cjs/api');
  const source = fileURLToPath(new URL(`./${name}.ts`, base));
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
