import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { VC_JWT_MEDIA_TYPE } from '../../src/credentials/formats/vc-jwt.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { listKeys } from '../../src/keys/key-store.ts';
import { keyState, publishedKeys, type KeyRecord } from '../../src/keys/lifecycle.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import { decodeBitstringStatusList, decodeTokenStatusList } from '../../src/status/codec.ts';
import { STATUS_LIST_REFRESH_SECONDS, STATUS_LIST_TOKEN_MEDIA_TYPE } from '../../src/status/documents.ts';
import type { Database } from '../../src/store/port.ts';
import { acrossTenants, withTenant } from '../../src/store/tenant-scope.ts';
import { bootstrap } from '../../src/tenants/bootstrap.ts';
import { PLATFORM_TENANT_ID } from '../../src/tenants/tenant-id.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { bundleWorker, deployedCompatibility } from './bundle-worker.ts';

const ORIGIN = 'https://issuer.workers.test';
const CRON = '17 * * * *';

interface Jwk {
  kid: string;
  alg: string;
  use: string;
  [member: string]: unknown;
}

/**
 * Miniflare refuses a Hyperdrive URL without a password. The test servers use trust
 * authentication, which never asks for one, so a placeholder satisfies the check and is unused.
 */
function hyperdriveUrl(url: string): string {
  const u = new URL(url);
  if (!u.password) u.password = 'unused-with-trust-auth';
  return u.toString();
}

function collect(stream: Readable, into: string[]) {
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => into.push(...chunk.split('\n').filter((l) => l !== '')));
}

/** A list's status at `idx`, read from a Status List Token as a relying party would. */
async function tokenStatusAt(jwt: string, idx: number): Promise<number> {
  return (await decodeTokenStatusList(decodeJwt<{ status_list: unknown }>(jwt).status_list)).get(idx);
}

/** A Bitstring Status List credential's bit at `idx`. */
async function bitAt(vcJwt: string, idx: number): Promise<number> {
  return (await decodeBitstringStatusList(decodeJwt<{ credentialSubject: { encodedList: unknown } }>(vcJwt).credentialSubject.encodedList)).get(
    idx,
  );
}

interface StoredCopy {
  version: number;
  issuedAt: Date;
  expiresAt: Date;
  token: string;
  revocation: string;
  suspension: string;
}

describe.skipIf(!postgresAvailable())('the Worker bundle in workerd, over PostgreSQL through Hyperdrive', () => {
  let mf: Miniflare | undefined;
  let db: Database | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let outdir: string | undefined;
  const runtimeOutput: string[] = [];
  const logs = () => runtimeOutput.join('\n');

  const keysOf = (tenant: string): Promise<KeyRecord[]> => withTenant(db!, tenant, (tx) => listKeys(tx, tenant));
  const activeKid = (keys: readonly KeyRecord[]) => keys.find((k) => keyState(k, new Date()) === 'active')?.kid;
  const get = (path: string, headers: Record<string, string> = {}) => mf!.dispatchFetch(`${ORIGIN}${path}`, { headers });
  const otherSessions = async () => {
    const [row] = await db!.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return row!.n;
  };

  beforeAll(async () => {
    const kekEncoded = generateKeyEncryptionKey();
    const kek = await importKeyEncryptionKey(kekEncoded);
    const database = await createPostgresDatabase();
    dropDatabase = database.drop;
    // One connection of our own, so any other session on this database is the Worker's.
    db = openPostgres(database.url, { max: 1 });
    // What an operator does before deploying: the Worker itself never migrates or bootstraps.
    await bootstrap({ db, kek, now: new Date() }, { demoTenant: false });
    await createTenant({ db, kek, now: new Date(), actor: 'test' }, { id: 'acme', name: 'Acme' });

    outdir = await mkdtemp(join(tmpdir(), 'launchproof-worker-'));
    const scriptPath = await bundleWorker(outdir);
    const runtime = await deployedCompatibility();
    const worker = {
      modules: true,
      scriptPath,
      // Module names are paths relative to this root; workerd refuses names that climb out of it.
      modulesRoot: outdir,
      ...runtime,
      hyperdrives: { HYPERDRIVE: hyperdriveUrl(database.url) },
    };
    mf = new Miniflare({
      host: '127.0.0.1',
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        collect(stdout, runtimeOutput);
        collect(stderr, runtimeOutput);
      },
      workers: [
        { ...worker, name: 'launchproof', bindings: { LAUNCHPROOF_ENV: 'production', PUBLIC_URL: ORIGIN, KEY_ENCRYPTION_KEY: kekEncoded } },
        // The same bundle deployed without its secret: it must refuse to serve, not serve weakly.
        // Production config refuses that by itself; outside production the Worker entry must.
        { ...worker, name: 'production-without-kek', bindings: { LAUNCHPROOF_ENV: 'production', PUBLIC_URL: ORIGIN } },
        { ...worker, name: 'development-without-kek', bindings: { LAUNCHPROOF_ENV: 'development', PUBLIC_URL: ORIGIN } },
      ],
    });
    // workerd explains a failed start only on its own output, which this test captures.
    await mf.ready.catch((e: unknown) => {
      throw new Error(`workerd did not start: ${e instanceof Error ? e.message : String(e)}\n${logs()}`);
    });
  });

  afterAll(async () => {
    // Each step runs even if an earlier one failed, so no workerd, connection or database is left behind.
    const steps = [
      () => mf?.dispose(),
      () => db?.close(),
      () => dropDatabase?.(),
      () => (outdir ? rm(outdir, { recursive: true, force: true }) : undefined),
    ];
    for (const step of steps) await Promise.resolve(step()).catch(() => {});
  });

  it('serves the tenant DID document with exactly the keys the database publishes', async () => {
    const res = await get('/t/acme/did.json');
    expect(res.status, logs()).toBe(200);
    const doc = (await res.json()) as {
      id: string;
      verificationMethod: { id: string; type: string; controller: string; publicKeyJwk: Jwk }[];
      assertionMethod: string[];
    };
    const did = 'did:web:issuer.workers.test:t:acme';
    expect(doc.id).toBe(did);

    const published = publishedKeys(await keysOf('acme'), new Date());
    expect(published.length).toBe(2); // the signing key and the waiting one
    expect(doc.verificationMethod.map((m) => m.id)).toEqual(published.map((k) => `${did}#${k.kid}`));
    expect(doc.assertionMethod).toEqual(published.map((k) => `${did}#${k.kid}`));
    doc.verificationMethod.forEach((m, i) => {
      expect(m.type).toBe('JsonWebKey2020');
      expect(m.controller).toBe(did);
      expect(m.publicKeyJwk).toMatchObject({ ...published[i]!.publicJwk, kid: published[i]!.kid, alg: published[i]!.alg });
      expect(m.publicKeyJwk).not.toHaveProperty('d');
    });
  });

  it.each([
    ['/t/acme/jwks.json', 'acme'],
    ['/.well-known/jwks.json', PLATFORM_TENANT_ID],
  ])('serves %s with the published keys of %s and revalidates with its ETag', async (path, tenant) => {
    const res = await get(path);
    expect(res.status, logs()).toBe(200);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const { keys } = (await res.json()) as { keys: Jwk[] };

    const published = publishedKeys(await keysOf(tenant), new Date());
    expect(keys.map((k) => k.kid)).toEqual(published.map((k) => k.kid));
    keys.forEach((k, i) => {
      expect(k.use).toBe('sig');
      expect(k.alg).toBe(published[i]!.alg);
      expect(k).not.toHaveProperty('d');
    });

    const again = await get(path, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
  });

  it('answers an unknown tenant with a problem document', async () => {
    const res = await get('/t/nope/did.json');
    expect(res.status, logs()).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, code: 'tenant_not_found' });
  });

  it('holds no database connection once its requests are done', async () => {
    for (const path of ['/t/acme/did.json', '/t/acme/jwks.json', '/.well-known/did.json']) expect((await get(path)).status).toBe(200);
    await expect.poll(otherSessions).toBe(0);
  });

  it('rotates keys on an authenticated request and publishes the new signing key', async () => {
    const before = activeKid(await keysOf('acme'));
    const { token } = await createApiKey({ db: db!, now: new Date(), actor: 'test' }, { tenantId: 'acme', roles: ['keys'] });

    const res = await mf!.dispatchFetch(`${ORIGIN}/v1/t/acme/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status, logs()).toBe(200);
    const out = (await res.json()) as { active: string; next: string; retired: string | null };
    expect(out.retired).toBe(before);

    const keys = await keysOf('acme');
    expect(activeKid(keys)).toBe(out.active);
    const old = keys.find((k) => k.kid === before)!;
    expect(old.retiredAt).not.toBeNull();
    expect(keyState(old, new Date())).toBe('retired');

    const jwks = (await (await get('/t/acme/jwks.json')).json()) as { keys: Jwk[] };
    expect(jwks.keys[0]!.kid).toBe(out.active); // the signing key comes first
    expect(jwks.keys.map((k) => k.kid)).toEqual(publishedKeys(keys, new Date()).map((k) => k.kid));
  });

  it('rotates a due key when the Cron Trigger fires, and only that one', async () => {
    const acmeBefore = await keysOf('acme');
    const before = activeKid(acmeBefore)!;
    const waiting = acmeBefore.find((k) => keyState(k, new Date()) === 'next')!.kid;
    const platformBefore = activeKid(await keysOf(PLATFORM_TENANT_ID));
    // Back-date the signing key past its 90-day rotation period (created_at too: a key cannot activate before it exists).
    await acrossTenants(db!, (tx) =>
      tx.query(
        `update signing_keys set created_at = now() - interval '100 days', activated_at = now() - interval '100 days' where tenant_id = 'acme' and kid = $1`,
        [before],
      ),
    );

    const worker = await mf!.getWorker('launchproof');
    const result = await worker.scheduled({ cron: CRON });
    expect(result.outcome, logs()).toBe('ok');

    const after = await keysOf('acme');
    expect(activeKid(after)).toBe(waiting);
    expect(
      keyState(
        after.find((k) => k.kid === before)!,
        new Date(),
      ),
    ).toBe('retired');
    expect(activeKid(await keysOf(PLATFORM_TENANT_ID))).toBe(platformBefore);
    expect(logs()).toContain('"msg":"key rotated"');
  });

  it.each([
    ['production-without-kek', 'KEY_ENCRYPTION_KEY: required in production'],
    ['development-without-kek', 'KEY_ENCRYPTION_KEY: required on Workers'],
  ])('%s refuses to serve, and says why only in the log', async (name, logged) => {
    const worker = await mf!.getWorker(name);
    const res = await worker.fetch(`${ORIGIN}/t/acme/did.json`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ status: 500, code: 'internal_error' });
    expect(body).not.toContain('KEY_ENCRYPTION_KEY');
    await expect.poll(logs).toContain(logged);
  });
});
