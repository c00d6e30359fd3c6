#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx compiles on load, so there is no build step to forget.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
// After tsx, so the hook (TypeScript) loads through it: guards postgres.js against killing the
// process when PostgreSQL goes away (src/runtime/node/postgres-guard.ts says why and how).
registerHooks('../src/runtime/node/postgres-guard.ts', import.meta.url);
await import('../src/runtime/node/cli.ts');
