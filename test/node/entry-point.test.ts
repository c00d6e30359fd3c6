import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';

const BIN = join(import.meta.dirname, '../../bin/launchproof.mjs');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts `launchproof serve` as a user would, resolving once it prints the URL it serves. */
function start(env: Record<string, string>): Promise<{ child: ChildProcess; stdout: string[]; stderr: string[] }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60s: ${stderr.join('')}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout.push(d.toString());
      if (stdout.join('').includes('launchproof serving')) {
        clearTimeout(timer);
        resolve({ child, stdout, stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${stderr.join('')}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('npm start on the embedded database', () => {
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

    const created = cli(['tenant', 'create', 'acme', '--name', 'Acme Corp', '--algorithm', 'EdDSA'], env);
    expect(created.status, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: 'acme', did: `did:web:localhost%3A${env.PORT}:t:acme` });

    const second = await start(env);
    try {
      expect(second.stderr.join('')).not.toMatch(/lp_[A-Za-z0-9]{16}_/);
      expect(await (await fetch(`${base}/t/demo/jwks.json`)).json()).toEqual(before);
      const acme = await (await fetch(`${base}/t/acme/jwks.json`)).json();
      expect(acme.keys.map((k: { alg: string }) => k.alg)).toEqual(['EdDSA', 'EdDSA']);

      // While the server holds the embedded database, the console refuses rather than corrupting it.
      const refused = cli(['tenant', 'list'], env);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/in use by process \d+/);
    } finally {
      await stop(second.child);
    }
  });

  it('applies migrations on their own with npm run migrate, and answers usage errors with exit 2', () => {
    const migrated = cli(['migrate'], env);
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/0 applied, schema at version \d+ \(pglite\)/);
    expect(cli(['tenant', 'create'], env).status).toBe(2);
    expect(cli(['no-such-command'], env).status).toBe(2);
    const bad = cli(['migrate'], { ...env, PORT: 'eighty' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/PORT:/);
  });

  it('refuses to start in production without a key-encryption key, naming the variable', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, ...env, LAUNCHPROOF_ENV: 'production', PUBLIC_URL: 'https://issuer.example.com' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/KEY_ENCRYPTION_KEY: required in production/);
  });
});

describe.skipIf(!postgresAvailable())('npm start with DATABASE_URL on real PostgreSQL', () => {
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
      const migrated = cli(['migrate'], env);
      expect(migrated.stdout).toMatch(/0 applied, schema at version \d+ \(postgres\)/);
      // init on an already bootstrapped database issues no second admin key.
      const init = cli(['init'], env);
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
