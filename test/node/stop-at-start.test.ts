import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, freePort, runCli, startService, stopAllServices } from '../support/service-process.ts';

/*
 * An orchestrator may stop a server the moment it says it serves (a rollout replaced it, a probe
 * gave up). The stop must be the clean one: the listener closed, the database closed (the
 * embedded one's data directory released), exit 0; never the default SIGTERM death with the
 * database open, which a server still running its first scheduled sweep used to die.
 */
describe('a server stopped as soon as it serves', { timeout: 180_000 }, () => {
  afterAll(() => stopAllServices());

  it('stops cleanly, exit 0, and the next start finds its data directory free', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'launchproof-stop-at-start-'));
    try {
      const env = baseEnv(dataDir, await freePort());
      expect(runCli(['init'], env).status).toBe(0);
      const server = await startService(env);
      const code = await server.stop();
      expect(server.exit).toEqual({ code: 0, signal: null });
      expect(code).toBe(0);
      const again = await startService(env);
      expect(await again.stop()).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
