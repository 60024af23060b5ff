// Runs a worker thread's TypeScript module from source (tests, tsx): the thread shares neither
// vitest's transform nor, on Node 20, the parent's loader hooks, so tsx's require hook goes first.
// Development only: the build compiles worker modules, and images do not hold this folder.
require('tsx/cjs/api').register();
require(process.argv.at(-1));
