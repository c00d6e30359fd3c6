import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baseEnv, freePort, runCli } from '../support/service-process.ts';

/**
 * `launchproof restore` sets the database it replaces aside, then renames the restored one into
 * place. A crash between the two leaves DATA_DIR with no database: a start must not take that
 * for a new deployment (a fresh database, a new origin, a new root key) while the real one sits
 * beside it under another name. It refuses, and says what to do.
 */
describe('a start after an interrupted restore', { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-interrupted-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('refuses when the replaced database was set aside and nothing took its place, creating nothing', async () => {
    await mkdir(join(dataDir, 'pglite.before-restore-2026-11-28T10-00-00-000Z'));
    const r = runCli(['init'], baseEnv(dataDir, await freePort()));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/restore did not finish/);
    expect(r.stderr).toContain('pglite.before-restore-2026-11-28T10-00-00-000Z');
    expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
  });

  it('refuses when a restored database was left staged beside an empty place', async () => {
    await mkdir(join(dataDir, 'pglite.restoring-4242'));
    const r = runCli(['init'], baseEnv(dataDir, await freePort()));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/restore did not finish/);
    expect(r.stderr).toContain('pglite.restoring-4242');
    expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
  });
});
