import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { ensureOrigin } from '../../src/deployment/origin.ts';
import { runDoctor, type CheckResult } from '../../src/doctor/checks.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { loadMigrations } from '../../src/runtime/node/migration-files.ts';
import { migrationRecords } from '../../src/store/migration-state.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import { bootstrap } from '../../src/use-cases/bootstrap.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { createSafeFetch } from '../../src/verify/remote/safe-fetch.ts';
import { TENANT_ROLE } from '../../src/store/tenant-scope.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { baseEnv, freePort, runCli } from '../support/service-process.ts';

const ORIGIN = 'https://issuer.doctor.test';
// The did:key of an Ed25519 key (W3C did:key test vector): resolves with no network at all.
const DID_KEY = 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp';

const status = (checks: readonly CheckResult[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]));

/** The network edge, faked: one partner publishes its DID document, every other host answers 404. */
function partnerNetwork() {
  const doc = {
    '@context': ['https://www.w3.org/ns/did/v1'],
    id: 'did:web:partner.example',
    verificationMethod: [
      {
        id: 'did:web:partner.example#k1',
        type: 'JsonWebKey2020',
        controller: 'did:web:partner.example',
        publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
      },
    ],
    assertionMethod: ['did:web:partner.example#k1'],
  };
  return createSafeFetch({
    fetch: async (request) =>
      new URL(request.url).host === 'partner.example'
        ? new Response(JSON.stringify(doc), { headers: { 'content-type': 'application/did+json' } })
        : new Response('not found', { status: 404 }),
    resolveHost: async () => ['93.184.215.14'],
  });
}

describe.skipIf(!postgresAvailable())('launchproof doctor', { timeout: 180_000 }, () => {
  let url: string;
  let appUrl: string;
  let drop: () => Promise<void>;
  let role: string;
  let kekText: string;
  let dataDir: string;
  let goodEnv: Record<string, string>;
  let admin: postgres.Sql;

  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase());
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-doctor-'));
    kekText = generateKeyEncryptionKey();
    // Initialised by the schema owner, as `launchproof init` would (origin recorded, platform and a tenant with keys).
    const db = openPostgres(url, { max: 1 });
    const kek = await importKeyEncryptionKey(kekText);
    const now = new Date();
    await ensureOrigin(db, new URL(ORIGIN), 'record', now);
    await bootstrap({ db, kek, now }, { demoTenant: false });
    await createTenant({ db, kek, now, actor: 'test' }, { id: 'acme', name: 'Acme' });
    await db.close();

    // The service's own role: no superuser, no BYPASSRLS, just the rights to its rows.
    role = `lp_doctor_${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
    admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create role ${role} login nosuperuser nobypassrls`);
    await admin.unsafe(`grant usage on schema public to ${role}`);
    await admin.unsafe(`grant select, insert, update, delete on all tables in schema public to ${role}`);
    await admin.unsafe(`grant usage, select on all sequences in schema public to ${role}`);
    const u = new URL(url);
    u.username = role;
    appUrl = u.toString();
    // Every tenant transaction switches to the tenant role: the service's role must be a member.
    await admin.unsafe(`grant ${TENANT_ROLE} to ${role}`);
    goodEnv = {
      ...baseEnv(dataDir, await freePort()),
      LAUNCHPROOF_ENV: 'production',
      DATABASE_URL: appUrl,
      KEY_ENCRYPTION_KEY: kekText,
      PUBLIC_URL: ORIGIN,
      TRUSTED_ISSUERS: DID_KEY,
    };
  });
  afterAll(async () => {
    await admin?.end();
    await drop?.();
    const server = postgres(url.replace(/\/[^/]+$/, '/postgres'), { max: 1, onnotice: () => {} });
    await server.unsafe(`drop role if exists ${role}`);
    await server.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('passes a good deployment: every check ok, one line each, exit 0', () => {
    const r = runCli(['doctor'], goodEnv);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    for (const name of ['migrations', 'origin', 'key-encryption key', 'database role', 'row-level security', 'clock', 'trusted issuers'])
      expect(lines.find((l) => l.includes(name))).toMatch(/^✓ /);
    expect(r.stdout).toContain('doctor: ready to serve');
    expect(r.stdout).not.toContain(kekText);

    const json = runCli(['doctor', '--json'], goodEnv);
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: CheckResult[] };
    expect(report.ok).toBe(true);
    expect(report.checks.every((c) => c.status === 'ok')).toBe(true);
  });

  it('resolves each TRUSTED_ISSUERS DID as the verifier does, and names the one that does not resolve', async () => {
    const db = openPostgres(appUrl, { max: 1 });
    try {
      const deps = {
        db,
        kek: await importKeyEncryptionKey(kekText),
        kekSource: 'KEY_ENCRYPTION_KEY',
        migrations: await migrationRecords(await loadMigrations()),
        clock: () => new Date(),
        fetchJson: partnerNetwork(),
      };
      const good = await runDoctor({ ...deps, config: parseConfig({ ...goodEnv, TRUSTED_ISSUERS: `did:web:partner.example,${DID_KEY}` }) });
      expect(
        good.every((c) => c.status === 'ok'),
        JSON.stringify(good),
      ).toBe(true);
      const bad = await runDoctor({
        ...deps,
        config: parseConfig({ ...goodEnv, TRUSTED_ISSUERS: 'did:web:partner.example,did:web:gone.example' }),
      });
      const trusted = bad.find((c) => c.name === 'trusted issuers')!;
      expect(trusted.status).toBe('fail');
      expect(trusted.detail).toMatch(/^1 of 2 do not resolve: did:web:gone\.example: /);

      // A host whose clock is an hour ahead of the database's.
      const skewed = await runDoctor({ ...deps, config: parseConfig(goodEnv), clock: () => new Date(Date.now() + 3_600_000) });
      expect(skewed.find((c) => c.name === 'clock')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/disagree by -3(599|600)\.\d{3} s \(limit 5 s\)/),
      });
    } finally {
      await db.close();
    }
  });

  it('fails a broken deployment, naming each fault: wrong KEK, another origin, a superuser role; exit 1', () => {
    const r = runCli(['doctor'], {
      ...goodEnv,
      DATABASE_URL: url,
      KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
      PUBLIC_URL: 'https://elsewhere.doctor.test',
    });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const line = (name: string) => r.stdout.split('\n').find((l) => l.includes(name))!;
    expect(line('origin')).toMatch(/^✗ origin .*https:\/\/elsewhere\.doctor\.test.*recorded origin https:\/\/issuer\.doctor\.test/);
    expect(line('key-encryption key')).toMatch(
      /^✗ key-encryption key .*cannot open \d+ of \d+ keys that may still sign .*tenants _platform, acme/,
    );
    expect(line('database role')).toMatch(/^✗ database role .*postgres is a superuser/);
    expect(line('migrations')).toMatch(/^✓ /);
    expect(r.stdout).toContain('doctor: 3 check(s) failed');
  });

  it('fails a role that cannot switch to the tenant role, naming the grant', async () => {
    // Rights to every row, but no membership of the role every tenant transaction switches to.
    const withoutGrant = `${role}_x`;
    await admin.unsafe(`create role ${withoutGrant} login nosuperuser nobypassrls`);
    await admin.unsafe(`grant select on all tables in schema public to ${withoutGrant}`);
    try {
      const u = new URL(url);
      u.username = withoutGrant;
      const r = runCli(['doctor'], { ...goodEnv, DATABASE_URL: u.toString() });
      expect(r.status, r.stdout + r.stderr).toBe(1);
      const line = r.stdout.split('\n').find((l) => l.includes('database role'))!;
      expect(line).toMatch(new RegExp(`^✗ database role .*cannot switch to ${TENANT_ROLE}.*GRANT ${TENANT_ROLE} TO ${withoutGrant}`));
    } finally {
      await admin.unsafe(`drop owned by ${withoutGrant}`);
      await admin.unsafe(`drop role ${withoutGrant}`);
    }
  });

  it('fails a deployment with a pending migration and a table whose row-level security is not forced', async () => {
    await admin.unsafe('delete from schema_migrations where version = (select max(version) from schema_migrations)');
    await admin.unsafe('alter table tenants no force row level security');
    const r = runCli(['doctor', '--json'], goodEnv);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: CheckResult[] };
    expect(report.ok).toBe(false);
    expect(status(report.checks)).toEqual({
      migrations: 'fail',
      origin: 'ok',
      'key-encryption key': 'ok',
      'database role': 'ok',
      'row-level security': 'fail',
      clock: 'ok',
      'trusted issuers': 'ok',
    });
    expect(report.checks[0]!.detail).toMatch(/^1 pending \(\d{4}_\w+\): run `launchproof migrate`/);
    expect(report.checks[4]!.detail).toBe('not enabled and forced on tenants');
  });
});

describe('launchproof doctor on the embedded database', { timeout: 300_000 }, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launchproof-doctor-embedded-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('passes after init: PGlite is its own superuser, and its tenant transactions run as the tenant role', async () => {
    const env = baseEnv(dataDir, await freePort());
    const init = runCli(['init'], env);
    expect(init.status, init.stderr).toBe(0);
    const r = runCli(['doctor'], env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('database role'))!;
    expect(line).toMatch(new RegExp(`^✓ database role .*embedded database.*tenant transactions run as ${TENANT_ROLE}`));
  });
});
