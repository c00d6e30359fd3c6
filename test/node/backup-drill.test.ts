/**
 * Issue 11, backups: a restore drill on each engine. Issue, revoke, suspend, rotate; back up;
 * destroy; restore; start again; then every credential, key and status must be back and verify.
 * The embedded database uses `launchproof backup`/`restore`; PostgreSQL runs the README's own
 * pg_dump and pg_restore commands, so the documented path is the tested one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { freePort, runCli, startService, stopService } from '../support/service-process.ts';
import { readBootstrapKey } from '../support/bootstrap-key.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';

const cli = runCli;

/** Everything the drill compares before and after: what a buyer, a verifier and an auditor see. */
interface Snapshot {
  keys: unknown;
  jwks: unknown;
  did: unknown;
  attestations: Record<string, { status: unknown; verified: boolean; statusValue: unknown }>;
}

interface Drill {
  base: string;
  token: string;
  credentials: Map<string, string>;
}

async function populate(base: string, token: string): Promise<Drill> {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const credentials = new Map<string, string>();
  for (let i = 0; i < 4; i++) {
    // A rotation between issuances, so the key history has more than one key that signed something.
    if (i === 2) expect((await fetch(`${base}/v1/t/demo/keys/rotate`, { method: 'POST', headers: auth })).status).toBe(200);
    const res = await fetch(`${base}/v1/t/demo/attestations`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ assessment: readinessAssessment(), formats: ['vc+jwt', 'dc+sd-jwt'] }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as { attestation_id: string; credentials: { credential: string }[] };
    credentials.set(body.attestation_id, body.credentials[0]!.credential);
  }
  const [revoked, suspended] = [...credentials.keys()];
  for (const [id, status] of [
    [revoked, 'revoked'],
    [suspended, 'suspended'],
  ] as const) {
    const res = await fetch(`${base}/v1/t/demo/attestations/${id}/status`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ status, reason: 'restore drill' }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }
  return { base, token, credentials };
}

async function snapshot(d: Drill): Promise<Snapshot> {
  const get = async (path: string) => {
    const res = await fetch(`${d.base}${path}`, { headers: { authorization: `Bearer ${d.token}` } });
    expect(res.status, path).toBe(200);
    return res.json();
  };
  const attestations: Snapshot['attestations'] = {};
  for (const [id, credential] of d.credentials) {
    const detail = (await get(`/v1/t/demo/attestations/${id}`)) as { status: unknown };
    const res = await fetch(`${d.base}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ credential }),
    });
    const report = (await res.json()) as { verified: boolean; status?: { value: unknown } };
    attestations[id] = { status: detail.status, verified: report.verified, statusValue: report.status?.value };
  }
  return { keys: await get('/v1/t/demo/keys'), jwks: await get('/t/demo/jwks.json'), did: await get('/t/demo/did.json'), attestations };
}

function expectDrillState(s: Snapshot) {
  const values = Object.values(s.attestations).map((a) => [a.statusValue, a.verified]);
  expect(values).toEqual([
    ['revoked', false],
    ['suspended', false],
    ['valid', true],
    ['valid', true],
  ]);
}

/** The fenced shell block of the README that contains `needle`, run as written. */
async function readmeBlock(needle: string): Promise<string> {
  const readme = await readFile(join(import.meta.dirname, '../../README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const found = blocks.filter((b) => b.includes(needle));
  expect(found, `one README block with ${needle}`).toHaveLength(1);
  return found[0]!;
}

/** Every file and directory under `root` whose mode lets anyone but its owner in. */
async function restoredModes(root: string): Promise<{ loose: string[]; seen: number }> {
  const loose: string[] = [];
  let seen = 0;
  const walk = async (path: string): Promise<void> => {
    const s = await stat(path);
    seen++;
    if ((s.mode & 0o077) !== 0) loose.push(`${path.slice(root.length) || '/'} ${(s.mode & 0o777).toString(8)}`);
    if (s.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(root);
  return { loose, seen };
}

describe('backup and restore drill on the embedded database', () => {
  let dataDir: string;
  let backupDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-drill-'));
    backupDir = await mkdtemp(join(tmpdir(), 'launchproof-drill-backups-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(backupDir, { recursive: true, force: true });
  });

  it('brings back every credential, key and status after the data directory is destroyed', { timeout: 900_000 }, async () => {
    const port = await freePort();
    // The KEK lives outside the data directory, as the README asks: the drill destroys the directory.
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      LAUNCHPROOF_ENV: 'development',
      LOG_LEVEL: 'error',
      DATABASE_URL: '',
      KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
      VERIFY_RATE_LIMIT_PER_MINUTE: '100000',
    };
    const file = join(backupDir, 'launchproof-drill.tar.gz');

    const first = await startService(env);
    const token = await readBootstrapKey(dataDir);
    let drill: Drill;
    let before: Snapshot;
    try {
      drill = await populate(`http://127.0.0.1:${port}`, token);
      before = await snapshot(drill);
      expectDrillState(before);
      // While the server holds the database, a backup is refused rather than copied inconsistently.
      const refused = cli(['backup', file], env);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/in use by process \d+/);
    } finally {
      await stopService(first);
    }

    const backup = cli(['backup', file], env);
    expect(backup.status, backup.stderr).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // Never replaces a file.
    const again = cli(['backup', file], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/exists; a backup never replaces a file/);

    await rm(dataDir, { recursive: true, force: true });
    const restore = cli(['restore', file], env);
    expect(restore.status, restore.stderr).toBe(0);
    // The restored database is its owner's alone, as one npm start creates (PGlite writes 0755/0666).
    const restored = await restoredModes(join(dataDir, 'pglite'));
    expect(restored.loose, `not owner-only: ${restored.loose.slice(0, 5).join(', ')} …`).toEqual([]);
    expect(restored.seen).toBeGreaterThan(10);
    // A second restore onto the database now there is refused without --force.
    const over = cli(['restore', file], env);
    expect(over.status).toBe(1);
    expect(over.stderr).toMatch(/holds a database; restore never replaces one unless --force/);
    console.log(`embedded drill:\n  ${backup.stdout.trim()}\n  ${restore.stdout.trim()}`);

    const second = await startService(env);
    try {
      expect(await snapshot(drill)).toEqual(before);
    } finally {
      await stopService(second);
    }
  });
});

describe.skipIf(!postgresAvailable())("backup and restore drill on PostgreSQL, with the README's pg_dump and pg_restore", () => {
  it('brings back every credential, key and status after the database is dropped', { timeout: 900_000 }, async () => {
    const { url, drop } = await createPostgresDatabase({ migrated: false });
    const dataDir = await mkdtemp(join(tmpdir(), 'launchproof-drill-pg-'));
    const workDir = await mkdtemp(join(tmpdir(), 'launchproof-drill-pg-dump-'));
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      LAUNCHPROOF_ENV: 'development',
      LOG_LEVEL: 'error',
      DATABASE_URL: url,
      KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
      VERIFY_RATE_LIMIT_PER_MINUTE: '100000',
    };
    const shell = (script: string) => {
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: workDir,
        env: { ...process.env, DATABASE_URL: url, PATH: `${PG_BIN}:${process.env.PATH}` },
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(r.status, r.stderr).toBe(0);
      return r;
    };
    try {
      const first = await startService(env);
      const token = await readBootstrapKey(dataDir);
      let drill: Drill;
      let before: Snapshot;
      try {
        drill = await populate(`http://127.0.0.1:${port}`, token);
        before = await snapshot(drill);
        expectDrillState(before);
        // pg_dump reads one snapshot, so the README lets it run beside a live service.
        shell(await readmeBlock('pg_dump'));
      } finally {
        await stopService(first);
      }

      // Destroyed, then an empty database of the same name, as the README's restore expects.
      const name = new URL(url).pathname.slice(1);
      const admin = postgres(new URL('/postgres', url).toString(), { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`drop database ${name} with (force)`);
        await admin.unsafe(`create database ${name}`);
      } finally {
        await admin.end();
      }
      shell(await readmeBlock('pg_restore'));
      const dumped = await stat(join(workDir, 'launchproof.pgdump'));
      console.log(
        `postgres drill: pg_dump wrote launchproof.pgdump (${dumped.size} bytes); pg_restore into an empty database; all compared equal`,
      );

      const second = await startService(env);
      try {
        expect(await snapshot(drill)).toEqual(before);
      } finally {
        await stopService(second);
      }
    } finally {
      await drop();
      await rm(dataDir, { recursive: true, force: true });
      await rm(workDir, { recursive: true, force: true });
    }
  });
});
