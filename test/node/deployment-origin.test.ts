import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { baseEnv, freePort, runCli, startService, stopAllServices, stopService } from '../support/service-process.ts';

const TOKEN = /lp_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}/;

describe.skipIf(!postgresAvailable())('the deployment origin is tied to the data (issue 11, defect 3)', { timeout: 180_000 }, () => {
  let dataDir: string;
  let url: string;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  let origin: string;
  let sql: postgres.Sql;

  const snapshot = async () => ({
    publications: await sql`select tenant_id, list_id, version, kid, issued_at, token from status_publications order by tenant_id, list_id`,
    keys: await sql`select tenant_id, kid, activated_at, retired_at from signing_keys order by tenant_id, kid`,
  });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-origin-'));
    ({ url, drop } = await createPostgresDatabase({ migrated: false }));
    const port = await freePort();
    // The server's origin is not what a bare shell would derive (http://localhost:$PORT).
    origin = `http://127.0.0.1:${port}`;
    env = { ...baseEnv(dataDir, port), DATABASE_URL: url, KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(), PUBLIC_URL: origin };
    const server = await startService(env);
    try {
      const token = server.stderr.join('').match(TOKEN)![0];
      const issued = await fetch(`${origin}/v1/t/demo/attestations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'origin-test' },
        body: await readFile(join(import.meta.dirname, '../../examples/attestation-request.json'), 'utf8'),
      });
      expect(issued.status, await issued.clone().text()).toBe(201);
    } finally {
      await stopService(server);
    }
    // Signs the new list's first copy, with the server's own origin.
    const swept = runCli(['keys', 'sweep'], env);
    expect(swept.status, swept.stderr).toBe(0);
    sql = postgres(url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await stopAllServices();
    await sql?.end();
    await rm(dataDir, { recursive: true, force: true });
    await drop?.();
  });

  it('records the origin of the first server start', async () => {
    expect((await sql`select origin from deployment`)[0]!.origin).toBe(origin);
  });

  it('keys rotate and keys sweep run without the server PUBLIC_URL refuse, name both origins, and leave keys and lists untouched', async () => {
    const before = await snapshot();
    expect(before.publications.length).toBeGreaterThan(0);
    const { PUBLIC_URL: _omitted, ...shell } = env;
    for (const args of [
      ['keys', 'rotate', 'demo'],
      ['keys', 'sweep'],
    ]) {
      const r = runCli(args, { ...shell, PUBLIC_URL: '' });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(origin);
      expect(r.stderr).toContain(`http://localhost:${env.PORT}`);
      expect(r.stderr).toMatch(/refuses to sign/);
      expect(r.stderr).toContain(`PUBLIC_URL=${origin}`);
    }
    expect(await snapshot()).toEqual(before);

    // With the server's origin the same command works.
    const ok = runCli(['keys', 'rotate', 'demo'], env);
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('a server started with another origin refuses to start, naming both', async () => {
    const r = runCli(['serve'], { ...env, PUBLIC_URL: 'https://elsewhere.example' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`recorded origin ${origin}`);
    expect(r.stderr).toContain('https://elsewhere.example');
  });

  it('origin set moves the deployment deliberately, and says what a move breaks', async () => {
    const moved = runCli(['origin', 'set', 'https://issuer.example'], env);
    expect(moved.status, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/did:web/);
    expect((await sql`select origin from deployment`)[0]!.origin).toBe('https://issuer.example');
    const [event] = await sql`select action, detail from audit_events where action = 'deployment.origin_moved'`;
    expect(event!.detail).toEqual({ from: origin, to: 'https://issuer.example' });
    // The old origin is now the stranger.
    expect(runCli(['keys', 'list', 'demo'], env).status).toBe(1);
    expect(runCli(['keys', 'list', 'demo'], { ...env, PUBLIC_URL: 'https://issuer.example' }).status).toBe(0);
  });
});
