import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { skipBecause } from '../support/skip.ts';

const BIN = join(import.meta.dirname, '../../bin/launchproof.mjs');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Each test starts Node, compiles the TypeScript through tsx and opens PGlite, up to twice, with
 * console commands between: seconds on an idle machine, over 20 s a start on two cores shared
 * with the rest of the suite. Nothing here waits a fixed time; this bound only ends a hung run.
 */
const ENTRY_TEST_TIMEOUT = 300_000;

const running = new Set<ChildProcess>();

/** Starts `launchproof serve` as a user would, resolving once it prints the URL it serves (its readiness line). */
function start(env: Record<string, string>): Promise<{ child: ChildProcess; stdout: string[]; stderr: string[] }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout.push(d.toString());
      if (stdout.join('').includes('launchproof serving')) resolve({ child, stdout, stderr });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr.join('')}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** A console command, run to its end; asynchronous so the test's own timeout can still fire. */
function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => {
      running.delete(child);
      resolve({ status, stdout, stderr });
    });
  });
}

// A test that timed out leaves its processes behind; they would hold the data directory's lock.
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

describe('launchproof serve (bin/launchproof.mjs) on the embedded database', { timeout: ENTRY_TEST_TIMEOUT }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let base: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-entry-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      LAUNCHPROOF_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      KEY_ENCRYPTION_KEY: '',
    };
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts, prints its URL, creates the demo tenant, and hands out the admin key once, owner-readable only', async () => {
    const { child, stdout, stderr } = await start(env);
    try {
      expect(stdout.join('')).toContain(`launchproof serving http://localhost:${env.PORT}`);
      const keyFile = join(dataDir, 'bootstrap-admin-key');
      const token = (await readFile(keyFile, 'utf8')).trim();
      expect(token).toMatch(/^lp_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dataDir, 'kek'))).mode & 0o777).toBe(0o600);
      expect(stderr.join('')).toContain(token);

      const did = await fetch(`${base}/t/demo/did.json`);
      expect(did.status).toBe(200);
      expect((await did.json()).id).toBe(`did:web:localhost%3A${env.PORT}:t:demo`);
      const tenants = await fetch(`${base}/v1/tenants`, { headers: { authorization: `Bearer ${token}` } });
      expect((await tenants.json()).tenants.map((t: { id: string }) => t.id)).toEqual(['demo']);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('keeps every tenant and key across a restart, and never prints the admin key again', async () => {
    const first = await start(env);
    const before = await (await fetch(`${base}/t/demo/jwks.json`)).json();
    await stop(first.child);

    const created = await cli(['tenant', 'create', 'acme', '--name', 'Acme Corp', '--algorithm', 'EdDSA'], env);
    expect(created.status, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: 'acme', did: `did:web:localhost%3A${env.PORT}:t:acme` });

    const second = await start(env);
    try {
      expect(second.stderr.join('')).not.toMatch(/lp_[A-Za-z0-9]{16}_/);
      expect(await (await fetch(`${base}/t/demo/jwks.json`)).json()).toEqual(before);
      const acme = await (await fetch(`${base}/t/acme/jwks.json`)).json();
      expect(acme.keys.map((k: { alg: string }) => k.alg)).toEqual(['EdDSA', 'EdDSA']);

      // While the server holds the embedded database, the console refuses rather than corrupting it.
      const refused = await cli(['tenant', 'list'], env);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/in use by process \d+/);
    } finally {
      await stop(second.child);
    }
  });

  it('applies migrations on their own with npm run migrate, and answers usage errors with exit 2', async () => {
    const migrated = await cli(['migrate'], env);
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/0 applied, schema at version \d+ \(pglite\)/);
    expect((await cli(['tenant', 'create'], env)).status).toBe(2);
    expect((await cli(['no-such-command'], env)).status).toBe(2);
    const bad = await cli(['migrate'], { ...env, PORT: 'eighty' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/PORT:/);
  });

  it('refuses to start in production without a key-encryption key, naming the variable', async () => {
    const r = await cli(['serve'], { ...env, LAUNCHPROOF_ENV: 'production', PUBLIC_URL: 'https://issuer.example.com' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/KEY_ENCRYPTION_KEY: required in production/);
  });
});

describe.skipIf(
  skipBecause(
    !postgresAvailable(),
    'set TEST_POSTGRES_URL to a PostgreSQL 15 server this run may create databases on (.ci/run starts one)',
  ),
)('launchproof serve (bin/launchproof.mjs) with DATABASE_URL on real PostgreSQL', { timeout: ENTRY_TEST_TIMEOUT }, () => {
  it('builds the schema from the same migrations and serves the same documents', async () => {
    const { url, drop } = await createPostgresDatabase({ migrated: false });
    const dataDir = await mkdtemp(join(tmpdir(), 'launchproof-entry-pg-'));
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: url,
      LOG_LEVEL: 'warn',
      KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
    };
    try {
      const { child } = await start(env);
      try {
        const did = await (await fetch(`http://127.0.0.1:${port}/t/demo/did.json`)).json();
        expect(did.id).toBe(`did:web:localhost%3A${port}:t:demo`);
      } finally {
        await stop(child);
      }
      const migrated = await cli(['migrate'], env);
      expect(migrated.stdout).toMatch(/0 applied, schema at version \d+ \(postgres\)/);
      // init on an already bootstrapped database issues no second admin key.
      const init = await cli(['init'], env);
      expect(init.status, init.stderr).toBe(0);
      expect(JSON.parse(init.stdout)).toEqual({
        platform_did: `did:web:localhost%3A${port}`,
        database: 'postgres',
        admin_key_issued: false,
      });
      // The KEK came from the environment, so none was generated beside the data.
      await expect(stat(join(dataDir, 'kek'))).rejects.toThrow();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await drop();
    }
  });
});
