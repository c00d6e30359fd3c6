import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Real databases and a real workerd: generous hooks, but each test still asserts behaviour, not time.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // Inlined (run through Vite) rather than loaded by Node, so a test's vi.mock('cross-fetch')
    // reaches the fetch inside web-did-resolver: the interop tests fake the network edge there.
    server: { deps: { inline: ['web-did-resolver'] } },
  },
});
