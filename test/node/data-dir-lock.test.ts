/**
 * Issue 11, defect 9: the embedded database's lock is one the operating system releases with
 * the process that holds it, so nothing but a live launchproof on the same directory blocks.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/runtime/node/data-dir-lock.ts';
import { BIN, freePort } from '../support/service-process.ts';

/** Asynchronous, so this process can answer the lock's holder question while the command runs. */
function cliAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stderr })));
}

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 90_000 });
}

describe('the embedded database lock', () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-lock-'));
    env = { DATA_DIR: dataDir, LAUNCHPROOF_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: '', KEY_ENCRYPTION_KEY: '' };
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('is not blocked by a stale lock file naming a live, unrelated process', { timeout: 120_000 }, async () => {
    // What the pid-file lock left behind after a crash, once its pid was reused: pid 1 is always alive.
    await writeFile(join(dataDir, 'pglite.lock'), '1');
    const r = cli(['migrate'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/schema at version \d+ \(pglite\)/);
  });

  it('still refuses a second live process on the same directory, naming the holder', { timeout: 120_000 }, async () => {
    const dir = join(dataDir, 'pglite');
    await mkdir(dir, { recursive: true });
    const unlock = await lockDataDir(dir);
    try {
      const r = await cliAsync(['migrate'], env);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`the embedded database is in use by process ${process.pid}`);
      await expect(lockDataDir(dir)).rejects.toThrow(/in use by process/);
    } finally {
      await unlock();
    }
    // Released by its holder, it is free again.
    expect(cli(['migrate'], env).status).toBe(0);
  });

  it('is released by the kernel when its holder is killed outright', { timeout: 180_000 }, async () => {
    // A holder that never gets to unlock: SIGKILL while it serves.
    const server = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, ...env, PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve) =>
      server.stdout!.on('data', (d: Buffer) => d.toString().includes('launchproof serving') && resolve()),
    );
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    const r = cli(['migrate'], env);
    expect(r.status, r.stderr).toBe(0);
  });

  it('works where there is no abstract socket namespace: a socket file, taken over when nothing listens on it', async () => {
    const dir = join(dataDir, 'pglite');
    await mkdir(dir, { recursive: true });
    const unlock = await lockDataDir(dir, { abstract: false });
    await expect(lockDataDir(dir, { abstract: false })).rejects.toThrow(`in use by process ${process.pid}`);
    await unlock();
    // A socket file left by a holder that was killed: nothing accepts on it any more.
    const stale = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(`${dir}.lock.sock`)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((r) => stale.once('exit', r));
    const again = await lockDataDir(dir, { abstract: false });
    await again();
  });
});
