#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx compiles on load, so there is no build step to forget.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

// Loaded before tsx is registered, so Node's own loader reads it: tsx passes every JavaScript
// module through its loader thread too, and PGlite's large Emscripten modules (whose dynamic
// imports it rewrites) leave that thread's heap about 30 MiB bigger for the life of the process
// (`launchproof serve` on PGlite: 300 → 267 MiB after start, bench/memory.bench.ts). Our
// modules import the same file later and get this instance.
await import('@electric-sql/pglite');

register();
// After tsx, so the hook (TypeScript) loads through it: guards postgres.js against killing the
// process when PostgreSQL goes away (src/runtime/node/postgres-guard.ts says why and how).
registerHooks('../src/runtime/node/postgres-guard.ts', import.meta.url);
await import('../src/runtime/node/cli.ts');
