import { defineConfig } from 'vitest/config';

export default defineConfig({
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
    // reaches the fetch inside web-did-resolver: the interop tests fake the network edge there.
    server: { deps: { inline: ['web-did-resolver'] } },
  },
});
