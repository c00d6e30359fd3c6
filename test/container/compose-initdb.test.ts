import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { baseEnv, freePort, runCli } from '../support/service-process.ts';
import { skipBecause } from '../support/skip.ts';
import { REPO } from './reproduce.ts';

/**
 * The compose stack's database, as the postgres image builds it, without Docker: a fresh
 * PostgreSQL 15 cluster with the image's superuser and database, the init script run as the
 * image's entrypoint runs it (psql as POSTGRES_USER, the compose environment), then the service in
 * production mode on the role the script made. Production refuses a superuser, so this is what
 * decides whether `ops/compose-up.sh` gives a service that starts.
 */
describe.skipIf(skipBecause(!privatePostgresAvailable(), 'PostgreSQL 15 binaries not installed (/usr/lib/postgresql/15/bin)'))(
  'compose: the database init script',
  { timeout: 300_000 },
  () => {
    let pg: PrivatePostgres;
    let dataDir: string;
    const password = generateKeyEncryptionKey();

    beforeAll(async () => {
      pg = await startPrivatePostgres(await freePort());
      dataDir = await mkdtemp(join(tmpdir(), 'launchproof-compose-initdb-'));
    });
    afterAll(async () => {
      await pg?.destroy();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('makes a service role that is no superuser, and the service initialises and passes the doctor on it in production', async () => {
      const script = spawnSync('sh', [join(REPO, 'ops/compose/initdb/10-launchproof-role.sh')], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          PGHOST: '127.0.0.1',
          PGPORT: String(pg.port),
          POSTGRES_USER: 'postgres',
          POSTGRES_DB: 'launchproof',
          LAUNCHPROOF_DB_PASSWORD: password,
        },
      });
      expect(script.status, script.stderr).toBe(0);
      expect(script.stdout + script.stderr).not.toContain(password);

      const env = {
        ...baseEnv(dataDir, await freePort()),
        LAUNCHPROOF_ENV: 'production',
        PUBLIC_URL: 'https://issuer.compose.test',
        KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
        DATABASE_URL: `postgres://launchproof:${password}@127.0.0.1:${pg.port}/launchproof`,
      };
      const init = runCli(['init'], env);
      expect(init.status, init.stderr).toBe(0);
      // Production keeps the root key out of stderr, a container's log stream: saved, path shown.
      const keyFile = (await readdir(dataDir)).find((f) => f.startsWith('bootstrap-admin-key'))!;
      const token = (await readFile(join(dataDir, keyFile), 'utf8')).trim();
      expect(token).toMatch(/^lp_/);
      expect(init.stderr).not.toContain(token);
      expect(init.stderr).toContain(`saved, readable by its owner only, to ${join(dataDir, keyFile)}`);
      const doctor = runCli(['doctor'], env);
      expect(doctor.status, doctor.stdout + doctor.stderr).toBe(0);
      expect(doctor.stdout).toMatch(/^✓ database role +launchproof is not a superuser/m);
      expect(doctor.stdout).toMatch(/^✓ row-level security /m);
    });
  },
);
