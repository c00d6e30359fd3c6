import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { baseEnv, freePort, runCli, startService, stopAllServices, stopService } from '../support/service-process.ts';

const TOKEN = /lp_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}/g;

describe.skipIf(!postgresAvailable())('the bootstrap admin key is never lost (issue 11, defect 2)', { timeout: 180_000 }, () => {
  afterAll(() => stopAllServices());

  it('a checkout that ran on PGlite, started with DATABASE_URL, prints and saves the new database key beside the old one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'launchproof-bootstrap-'));
    const { url, drop } = await createPostgresDatabase({ migrated: false });
    const port = await freePort();
    const env = baseEnv(dataDir, port);
    try {
      const first = runCli(['init'], env);
      expect(first.status, first.stderr).toBe(0);
      const [pgliteToken] = first.stderr.match(TOKEN)!;
      const pgliteFile = join(dataDir, 'bootstrap-admin-key');
      expect((await readFile(pgliteFile, 'utf8')).trim()).toBe(pgliteToken);

      const pgEnv = { ...env, DATABASE_URL: url, KEY_ENCRYPTION_KEY: generateKeyEncryptionKey() };
      const server = await startService(pgEnv);
      let pgToken: string;
      try {
        const printed = server.stderr.join('').match(TOKEN) ?? [];
        expect(printed).toHaveLength(1);
        pgToken = printed[0]!;
        expect(pgToken).not.toBe(pgliteToken);
        const tenants = await fetch(`http://127.0.0.1:${port}/v1/tenants`, { headers: { authorization: `Bearer ${pgToken}` } });
        expect(tenants.status).toBe(200);
      } finally {
        expect(await stopService(server)).toBe(0);
      }
      // The embedded database's key file is untouched; the PostgreSQL database's key has a file of its own.
      expect((await readFile(pgliteFile, 'utf8')).trim()).toBe(pgliteToken);
      const files = (await readdir(dataDir)).filter((f) => f.startsWith('bootstrap-admin-key'));
      expect(files).toHaveLength(2);
      const pgFile = join(
        dataDir,
        files.find((f) => f !== 'bootstrap-admin-key')!,
      );
      expect((await readFile(pgFile, 'utf8')).trim()).toBe(pgToken);
      expect((await stat(pgFile)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await drop();
    }
  });

  it('an operator who lost the key mints another platform key from the console, shown once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'launchproof-bootstrap-'));
    const env = baseEnv(dataDir, await freePort());
    try {
      expect(runCli(['init'], env).status).toBe(0);
      const created = runCli(['api-key', 'create', '--platform', '--roles', 'admin', '--label', 'replacement root'], env);
      expect(created.status, created.stderr).toBe(0);
      const out = JSON.parse(created.stdout);
      expect(out).toMatchObject({ tenant: '_platform', roles: ['admin'] });
      expect(out.token).toMatch(/^lp_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
