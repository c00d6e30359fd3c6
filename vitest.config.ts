import { defineConfig } from 'vitest/config';
import { guardConnectionSource } from './src/runtime/node/postgres-guard.ts';

const POSTGRES_CONNECTION = /\/node_modules\/postgres\/src\/connection\.js$/;

export default defineConfig({
  // The tests that open the service in process get the driver bin/launchproof.mjs runs: guarded
  // (src/runtime/node/postgres-guard.ts), by the same function, through Vite's transform instead
  // of a Node load hook. open-database.ts refuses PostgreSQL with an unguarded driver.
  plugins: [
    {
      name: 'postgres-guard',
      transform: (code, id) => (POSTGRES_CONNECTION.test(id) ? guardConnectionSource(code) : undefined),
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Real databases, a real workerd, Chromium, child processes: on two cores shared with other runs a
    // test that takes 8 s idle can take over 60 s. These bounds end a hung test; they are not a pace,
    // and no test sets a lower one (each test asserts behaviour, not time).
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    // Inlined (run through Vite) rather than loaded by Node, so a test's vi.mock('cross-fetch')
    // reaches the fetch inside web-did-resolver (the interop tests fake the network edge there),
    // and so the transform above reaches postgres.js.
    server: { deps: { inline: ['web-did-resolver', 'postgres'] } },
  },
});
