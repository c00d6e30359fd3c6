/**
 * Issue 11, defect 13: starting on a port another process holds printed a raw stack trace.
 * It must say, on one line, which port is taken and what to set, and exit 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/launchproof.mjs');

describe('launchproof serve on a port already in use', () => {
  let dataDir: string;
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-port-'));
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => holder.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says in one line that the port is in use and to set PORT, with no stack trace, and exits 1', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve'], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: String(port),
        BIND_ADDRESS: '127.0.0.1',
        LAUNCHPROOF_ENV: 'development',
        LOG_LEVEL: 'warn',
        DATABASE_URL: '',
        KEY_ENCRYPTION_KEY: '',
      },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(r.status, r.stderr).toBe(1);
    const said = r.stderr.split('\n').filter((l) => l.startsWith('launchproof:'));
    expect(said).toEqual([`launchproof: port ${port} on 127.0.0.1 is in use; set PORT to a free port (or stop what holds it)`]);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/EADDRINUSE/);
  });
});
