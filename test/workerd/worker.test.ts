import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { Miniflare } from 'miniflare';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { VC_JWT_MEDIA_TYPE } from '../../src/credentials/formats/vc-jwt.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { listKeys, logKeys } from '../../src/keys/key-store.ts';
import { logKeyVerifier } from '../../src/keys/log-key.ts';
import { openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { profilePublishedEntry } from '../../src/transparency/events.ts';
import { logView } from '../../src/transparency/reader.ts';
import { appendEntries, entriesOfAttestation, tenantsWithPending } from '../../src/transparency/store.ts';
import { keyState, publishedKeys, type KeyRecord } from '../../src/keys/lifecycle.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import { decodeBitstringStatusList, decodeTokenStatusList } from '../../src/status/codec.ts';
import { STATUS_LIST_REFRESH_SECONDS, STATUS_LIST_TOKEN_MEDIA_TYPE } from '../../src/status/documents.ts';
import type { Database } from '../../src/store/port.ts';
import { acrossTenants, withTenant } from '../../src/store/tenant-scope.ts';
import { bootstrap } from '../../src/use-cases/bootstrap.ts';
import { PLATFORM_TENANT_ID } from '../../src/tenants/tenant-id.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { ensureOrigin } from '../../src/deployment/origin.ts';
import { bundleEnvironment } from '../../src/verify/bundle-environment.ts';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import type { VerificationResult } from '../../src/verify/result.ts';
import { openTrustBundle, TRUST_BUNDLE_MEDIA_TYPE } from '../../src/verify/trust-bundle.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { asAdmin, createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { bundleWorker, collect, deployedCompatibility, hyperdriveUrl, workerConnection } from './bundle-worker.ts';
import { skipBecause } from '../support/skip.ts';

const ORIGIN = 'https://issuer.workers.test';
const CRON = '17 * * * *';

interface Jwk {
  kid: string;
  alg: string;
  use: string;
  [member: string]: unknown;
}

/** A list's status at `idx`, read from a Status List Token as a relying party would. */
async function tokenStatusAt(jwt: string, idx: number): Promise<number> {
  return (await decodeTokenStatusList(decodeJwt<{ status_list: unknown }>(jwt).status_list)).get(idx);
}

/** A Bitstring Status List credential's bit at `idx`. */
async function bitAt(vcJwt: string, idx: number): Promise<number> {
  return (
    await decodeBitstringStatusList(decodeJwt<{ credentialSubject: { encodedList: unknown } }>(vcJwt).credentialSubject.encodedList)
  ).get(idx);
}

interface StoredCopy {
  version: number;
  issuedAt: Date;
  expiresAt: Date;
  token: string;
  revocation: string;
  suspension: string;
}

describe.skipIf(
  skipBecause(
    !postgresAvailable(),
    'set TEST_POSTGRES_URL to a PostgreSQL 15 server this run may create databases on (.ci/run starts one)',
  ),
)('the Worker bundle in workerd, over PostgreSQL through Hyperdrive', () => {
  let mf: Miniflare | undefined;
  let db: Database | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let workerRole: string | undefined;
  let outdir: string | undefined;
  const runtimeOutput: string[] = [];
  /** What the fake receiver of the 'webhooks' Worker was sent. */
  const received: { headers: Record<string, string>; body: string }[] = [];
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

  // One operator key for the status tests, made on first use.
  let operatorToken: Promise<string> | undefined;
  const operate = async (method: string, path: string, body: unknown) => {
    operatorToken ??= createApiKey({ db: db!, now: new Date(), actor: 'test' }, { tenantId: 'acme', roles: ['issuer', 'status'] }).then(
      (k) => k.token,
    );
    return mf!.dispatchFetch(`${ORIGIN}${path}`, {
      method,
      headers: { authorization: `Bearer ${await operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  };

  /** Issues an SD-JWT VC through the Worker and reads where it says its status is published. */
  async function issueSdJwtVc(): Promise<{ id: string; credential: string; idx: number; uri: string; path: string; listId: string }> {
    const res = await operate('POST', '/v1/t/acme/attestations', { assessment: readinessAssessment(), formats: ['dc+sd-jwt'] });
    expect(res.status, logs()).toBe(201);
    const { credentials } = (await res.json()) as { credentials: { id: string; credential: string }[] };
    const { id, credential } = credentials[0]!;
    const { idx, uri } = decodeJwt<{ status: { status_list: { idx: number; uri: string } } }>(credential.split('~')[0]!).status.status_list;
    expect(uri.startsWith(`${ORIGIN}/t/acme/status/`)).toBe(true);
    const path = uri.slice(ORIGIN.length);
    return { id, credential, idx, uri, path, listId: path.split('/').pop()! };
  }

  const storedCopy = (listId: string): Promise<StoredCopy | undefined> =>
    withTenant(db!, 'acme', async (tx) => {
      const [row] = await tx.query<{
        version: string;
        issued_at: Date;
        expires_at: Date;
        token: string;
        revocation: string;
        suspension: string;
      }>(
        `select version, issued_at, expires_at, token, revocation, suspension from status_publications where tenant_id = 'acme' and list_id = $1`,
        [listId],
      );
      return row && { ...row, version: Number(row.version), issuedAt: row.issued_at, expiresAt: row.expires_at };
    });
  const listVersion = (listId: string): Promise<number> =>
    withTenant(db!, 'acme', async (tx) => {
      const [row] = await tx.query<{ version: string }>(`select version from status_lists where tenant_id = 'acme' and id = $1`, [listId]);
      return Number(row!.version);
    });
  /** POST /v1/verify through the Worker: public, so no key; it answers 200 whatever the verdict. */
  const verifyThroughWorker = async (credential: unknown) => {
    const res = await mf!.dispatchFetch(`${ORIGIN}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ credential }),
    });
    expect(res.status, logs()).toBe(200);
    return (await res.json()) as VerificationResult;
  };
  const failedChecks = (r: VerificationResult) => r.checks.filter((c) => !c.ok).map((c) => `${c.name} ${c.code}`);
  const runCron = async () => {
    const result = await (await mf!.getWorker('launchproof')).scheduled({ cron: CRON });
    expect(result.outcome, logs()).toBe('ok');
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
    // `launchproof init` records the deployment's origin; a Worker with another one must refuse.
    await ensureOrigin(db, new URL(ORIGIN), 'record', new Date());

    // The Worker connects as an ordinary role, as production demands.
    const connection = await workerConnection(db, database.url);
    workerRole = connection.role;

    outdir = await mkdtemp(join(tmpdir(), 'launchproof-worker-'));
    const scriptPath = await bundleWorker(outdir);
    const runtime = await deployedCompatibility();
    const worker = {
      modules: true,
      scriptPath,
      // Module names are paths relative to this root; workerd refuses names that climb out of it.
      modulesRoot: outdir,
      ...runtime,
      hyperdrives: { HYPERDRIVE: connection.url },
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
        // The same deployment with another PUBLIC_URL: it would sign status lists under URLs no credential names.
        {
          ...worker,
          name: 'other-origin',
          bindings: { LAUNCHPROOF_ENV: 'production', PUBLIC_URL: 'https://other.workers.test', KEY_ENCRYPTION_KEY: kekEncoded },
        },
        // The same deployment whose outbound requests reach a fake webhook receiver (a remote
        // host, faked at the network edge: Miniflare hands it every fetch this Worker makes).
        {
          ...worker,
          name: 'webhooks',
          bindings: { LAUNCHPROOF_ENV: 'production', PUBLIC_URL: ORIGIN, KEY_ENCRYPTION_KEY: kekEncoded },
          outboundService: async (request: Request) => {
            const url = new URL(request.url);
            if (url.host !== 'hooks.workers.test') return new Response('no such host', { status: 502 });
            const body = await request.text();
            received.push({ headers: Object.fromEntries(request.headers), body });
            // A buyer's endpoint confirms a subscription by echoing its challenge.
            const message = JSON.parse(body) as { type: string; data: { challenge?: string } };
            if (message.type === 'subscription.challenge') return Response.json({ challenge: message.data.challenge });
            return new Response(null, { status: 204 });
          },
        },
        // The same bundle connected as a superuser, which row-level security does not bind.
        {
          ...worker,
          name: 'production-as-superuser',
          hyperdrives: { HYPERDRIVE: hyperdriveUrl(database.url) },
          bindings: { LAUNCHPROOF_ENV: 'production', PUBLIC_URL: ORIGIN, KEY_ENCRYPTION_KEY: kekEncoded },
        },
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
      () => (workerRole ? asAdmin(`drop role if exists ${workerRole}`) : undefined),
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
    // The tenant's log key is a method of its own (made with the tenant), never one that asserts.
    const [logKey] = await withTenant(db!, 'acme', (tx) => logKeys(tx, 'acme'));
    const signing = doc.verificationMethod.filter((m) => !m.id.includes('#log-'));
    expect(doc.verificationMethod.filter((m) => m.id.includes('#log-')).map((m) => [m.id, m.type])).toEqual([
      [`${did}#log-${logKey!.kid}`, 'JsonWebKey'],
    ]);
    expect(signing.map((m) => m.id)).toEqual(published.map((k) => `${did}#${k.kid}`));
    expect(doc.assertionMethod).toEqual(published.map((k) => `${did}#${k.kid}`));
    signing.forEach((m, i) => {
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

  it('answers /healthz without the database and /readyz after checking it, its migrations and its KEK', async () => {
    expect((await get('/healthz')).status, logs()).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status, logs()).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok', kek: 'ok' } });
  });

  it('refuses to serve in production when connected as a superuser, and says why in its log', async () => {
    const res = await (await mf!.getWorker('production-as-superuser')).fetch(`${ORIGIN}/t/acme/did.json`);
    expect(res.status).toBe(500);
    await res.text();
    expect(logs()).toMatch(/configuration refused.*connects as postgres, which has SUPERUSER/);
    // Nor does its Cron Trigger rotate anything.
    const cron = await (await mf!.getWorker('production-as-superuser')).scheduled({ cron: CRON });
    expect(cron.outcome).not.toBe('ok');
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

  it('builds an audit export asked of it when the Cron Trigger fires, then serves it by its signed link', async () => {
    const { token } = await createApiKey({ db: db!, now: new Date(), actor: 'test' }, { tenantId: 'acme', roles: ['auditor'] });
    const asked = await mf!.dispatchFetch(`${ORIGIN}/v1/t/acme/audit-exports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        from: new Date(Date.now() - 300 * 86_400_000).toISOString(),
        to: new Date(Date.now() + 86_400_000).toISOString(),
        format: 'csv',
      }),
    });
    expect(asked.status, logs()).toBe(202);
    const { download_url: url } = (await asked.json()) as { download_url: string };
    expect((await mf!.dispatchFetch(url)).status).toBe(409);
    await runCron();
    const res = await mf!.dispatchFetch(url);
    expect(res.status, logs()).toBe(200);
    const csv = await res.text();
    expect(csv).toMatch(/^record,index,text,leaf_hash,inclusion_proof\r\n/);
    // The tenant's key events at least, each with its proof against the checkpoint the cron sequenced.
    expect(csv.split('\r\n').filter((l) => l.startsWith('entry,')).length).toBeGreaterThan(0);
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

  it('re-signs a status list before answering a revocation, and then serves it revoked', async () => {
    const { id, idx, uri, path, listId } = await issueSdJwtVc();

    const first = await get(path);
    expect(first.status, logs()).toBe(200);
    expect(first.headers.get('content-type')).toBe(STATUS_LIST_TOKEN_MEDIA_TYPE);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const token = await first.text();
    const claims = decodeJwt<{ ttl: number; status_list: { bits: number } }>(token);
    expect(claims.sub).toBe(`${ORIGIN}${path}`);
    expect(claims.sub).toBe(uri);
    expect(claims.status_list.bits).toBe(2);
    const maxAge = Number(/(?:^|[\s,])max-age=(\d+)(?:$|[\s,])/.exec(first.headers.get('cache-control') ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(claims.ttl);
    expect(await tokenStatusAt(token, idx)).toBe(0);

    const before = await listVersion(listId);
    expect((await storedCopy(listId))?.version).toBe(before);
    const res = await operate('PATCH', `/v1/t/acme/credentials/${encodeURIComponent(id)}/status`, {
      status: 'revoked',
      reason: 'key compromise reported by the subject',
    });
    expect(res.status, logs()).toBe(200);
    expect(await res.json()).toMatchObject({ credential: id, status: 'revoked', changed: true });
    const changed = await listVersion(listId);
    expect(changed).toBe(before + 1);

    // The PATCH answered only once its list was re-signed: the stored copy is up to the change now.
    expect((await storedCopy(listId))?.version).toBe(changed);
    // The invocation's connection is closed once it has answered (waitUntil finishes the close).
    await expect.poll(otherSessions, { timeout: 10_000 }).toBe(0);
    const stored = (await storedCopy(listId))!;

    const after = await get(path);
    expect(after.status, logs()).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    const revokedToken = await after.text();
    // Served as the PATCH stored it, not signed again by this GET.
    expect(revokedToken).toBe(stored.token);
    expect(await tokenStatusAt(revokedToken, idx)).toBe(1);
    const jwks = (await (await get('/t/acme/jwks.json')).json()) as JSONWebKeySet;
    await expect(
      jwtVerify(revokedToken, createLocalJWKSet(jwks), { typ: 'statuslist+jwt', issuer: `${ORIGIN}/t/acme`, subject: uri }),
    ).resolves.toBeDefined();

    const revocation = await get(`${path}/revocation`);
    expect(revocation.status, logs()).toBe(200);
    expect(revocation.headers.get('content-type')).toBe(VC_JWT_MEDIA_TYPE);
    expect(await bitAt(await revocation.text(), idx)).toBe(1);
    expect(await bitAt(await (await get(`${path}/suspension`)).text(), idx)).toBe(0);
    await expect.poll(otherSessions, { timeout: 10_000 }).toBe(0);
  });

  it('re-signs a stored status list near expiry when the Cron Trigger fires', async () => {
    const { idx, path, listId } = await issueSdJwtVc();
    expect((await get(path)).status, logs()).toBe(200); // so that there is a stored copy to age
    // issued_at goes back too: a re-signing within the same second would otherwise look like none.
    const aged = await withTenant(db!, 'acme', async (tx) => {
      const [row] = await tx.query<{ version: string; issued_at: Date }>(
        `update status_publications set issued_at = issued_at - interval '13 hours', expires_at = now() + interval '1 hour'
          where tenant_id = 'acme' and list_id = $1 returning version, issued_at`,
        [listId],
      );
      return { version: Number(row!.version), issuedAt: row!.issued_at };
    });

    await runCron();

    const copy = (await storedCopy(listId))!;
    expect(copy.issuedAt.getTime()).toBeGreaterThan(aged.issuedAt.getTime());
    expect(copy.expiresAt.getTime() - Date.now()).toBeGreaterThan(STATUS_LIST_REFRESH_SECONDS * 1000);
    expect(copy.version).toBe(aged.version);
    // The documents themselves were signed again, not only the columns beside them.
    const claims = decodeJwt(copy.token);
    expect(claims.iat! * 1000).toBe(copy.issuedAt.getTime());
    expect(claims.exp! * 1000).toBe(copy.expiresAt.getTime());
    expect(await tokenStatusAt(copy.token, idx)).toBe(0);
    expect(await (await get(path)).text()).toBe(copy.token);
    await expect.poll(otherSessions, { timeout: 10_000 }).toBe(0);
  });

  it('re-signs a status list behind a change made in the database when the Cron Trigger fires', async () => {
    const { idx, path, listId } = await issueSdJwtVc();
    expect((await get(path)).status, logs()).toBe(200);
    // A change that bypassed the service, and so its re-signing: only the sweep can publish it.
    const changed = await withTenant(db!, 'acme', async (tx) => {
      await tx.query(
        `update status_slots set status = 'suspended', changed_at = now() where tenant_id = 'acme' and list_id = $1 and idx = $2`,
        [listId, idx],
      );
      const [row] = await tx.query<{ version: string }>(
        `update status_lists set version = version + 1 where tenant_id = 'acme' and id = $1 returning version`,
        [listId],
      );
      return Number(row!.version);
    });
    expect((await storedCopy(listId))!.version).toBe(changed - 1);

    await runCron();

    const copy = (await storedCopy(listId))!;
    expect(copy.version).toBe(changed);
    expect(await tokenStatusAt(copy.token, idx)).toBe(2);
    expect(await bitAt(copy.suspension, idx)).toBe(1);
    expect(await bitAt(copy.revocation, idx)).toBe(0);
    const served = await get(`${path}/suspension`);
    expect(served.status, logs()).toBe(200);
    expect(await served.text()).toBe(copy.suspension);
    await expect.poll(otherSessions, { timeout: 10_000 }).toBe(0);
  });

  it('verifies its own credential: valid, then revoked once the stored publication caught up; garbage is just not verified', async () => {
    const { id, credential, listId } = await issueSdJwtVc();
    const valid = await verifyThroughWorker(credential);
    expect(failedChecks(valid), logs()).toEqual([]);
    expect(valid).toMatchObject({ verified: true, format: 'dc+sd-jwt', status: { value: 'valid' } });
    expect(valid.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['signature', 'status', 'readiness']));

    const res = await operate('PATCH', `/v1/t/acme/credentials/${encodeURIComponent(id)}/status`, { status: 'revoked', reason: 'test' });
    expect(res.status, logs()).toBe(200);
    const changed = await listVersion(listId);
    await expect.poll(async () => (await storedCopy(listId))?.version, { timeout: 10_000 }).toBe(changed);

    const revoked = await verifyThroughWorker(credential);
    expect(revoked.verified).toBe(false);
    expect(failedChecks(revoked)).toEqual(['status revoked']);
    expect(revoked.status?.value).toBe('revoked');

    const garbage = await verifyThroughWorker('not.a~credential');
    expect(garbage.verified).toBe(false);
    expect(failedChecks(garbage)).toEqual(['format malformed']);
    await expect.poll(otherSessions, { timeout: 10_000 }).toBe(0);
  });

  it('serves the buyer’s pages and the browser build, whole whether or not the client takes gzip', async () => {
    const page = await get('/verify');
    expect(page.status, logs()).toBe(200);
    expect(await page.text()).toContain('<script src="/assets/verify.js" defer></script>');
    const plain = await get('/assets/verify.js', { 'accept-encoding': 'identity' });
    expect(plain.status, logs()).toBe(200);
    expect(plain.headers.get('content-encoding')).toBeNull();
    const script = await plain.text();
    expect(script.startsWith('"use strict";(()=>{')).toBe(true);
    // workerd compresses a body itself unless told it already is: the script must arrive gzipped once, never twice.
    // (The test's fetch inflates what it receives, as a browser does, so what it reads is the script itself.)
    const gzipped = await get('/assets/verify.js', { 'accept-encoding': 'gzip' });
    expect(gzipped.status, logs()).toBe(200);
    expect(await gzipped.text()).toBe(script);
  });

  it('serves a trust bundle that opens offline and verifies what the Worker issued', async () => {
    const { credential } = await issueSdJwtVc();
    const res = await get('/t/acme/trust-bundle.json');
    expect(res.status, logs()).toBe(200);
    expect(res.headers.get('content-type')).toBe(TRUST_BUNDLE_MEDIA_TYPE);
    const { bundle, kid } = await openTrustBundle(await res.text());
    const did = 'did:web:issuer.workers.test:t:acme';
    expect(bundle.issuer.did).toBe(did);
    expect(kid).toBe(`${did}#${activeKid(await keysOf('acme'))}`);
    // The whole key history, retired keys included, not only what is published now.
    expect(bundle.keys.map((k) => k.kid).sort()).toEqual((await keysOf('acme')).map((k) => k.kid).sort());
    const offline = await verifyCredential(credential, bundleEnvironment(bundle, { at: new Date(), skewSeconds: 60 }));
    expect(failedChecks(offline)).toEqual([]);
    expect(offline).toMatchObject({ verified: true, status: { value: 'valid' } });
    await expect.poll(otherSessions, { timeout: 10_000 }).toBe(0);
  });

  it('sequences the log entry of an issuance once it has answered, and what another process left pending when the Cron Trigger fires', async () => {
    const { id } = await issueSdJwtVc();
    const attestation = await acrossTenants(db!, (tx) =>
      tx.query<{ attestation_id: string }>('select attestation_id from credentials where id = $1', [id.replace(/^urn:uuid:/, '')]),
    );
    const logged = () =>
      withTenant(db!, 'acme', async (tx) => (await entriesOfAttestation(tx, 'acme', attestation[0]!.attestation_id)).entries.length);
    await expect.poll(logged, { timeout: 2_000 }).toBe(1);
    // An entry another process committed and did not sequence (it died, say): the Cron Trigger takes it.
    await withTenant(db!, 'acme', (tx) =>
      appendEntries(tx, 'acme', [
        profilePublishedEntry('acme', { id: 'left.behind', version: '1', digest: `sha256-${'A'.repeat(43)}=`, at: new Date() }),
      ]),
    );
    const pending = () => acrossTenants(db!, (tx) => tenantsWithPending(tx));
    expect(await pending()).toEqual(['acme']);
    await runCron();
    expect(await pending()).toEqual([]);
    const view = await withTenant(db!, 'acme', (tx) => logView(tx, 'acme'));
    const [logKey] = await withTenant(db!, 'acme', (tx) => logKeys(tx, 'acme'));
    const { checkpoint } = await openCheckpoint(
      view!.note,
      'issuer.workers.test/t/acme',
      await logKeyVerifier({ origin: view!.head.origin, publicJwk: logKey!.publicJwk }),
    );
    expect(checkpoint.size).toBe(view!.head.size);
    await expect.poll(otherSessions, { timeout: 10_000 }).toBe(0);
  });

  it('runs the OID4VCI 1.0 pre-authorized code flow and verifies what it issued through /v1/verify and the VC-API', async () => {
    const preAuth = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
    const metadata = await get('/.well-known/openid-credential-issuer/t/acme');
    expect(metadata.status, logs()).toBe(200);
    const { credential_issuer } = (await metadata.json()) as { credential_issuer: string };
    expect(credential_issuer).toBe(`${ORIGIN}/t/acme`);

    const offered = await operate('POST', '/v1/t/acme/offers', { assessment: readinessAssessment(), formats: ['dc+sd-jwt'] });
    expect(offered.status, logs()).toBe(201);
    const { credential_offer, tx_code } = (await offered.json()) as {
      credential_offer: {
        credential_issuer: string;
        credential_configuration_ids: string[];
        grants: Record<string, { 'pre-authorized_code': string }>;
      };
      tx_code: string | null;
    };
    expect(credential_offer.credential_issuer).toBe(credential_issuer);
    expect(credential_offer.credential_configuration_ids).toEqual(['launch_readiness_sd_jwt']);
    expect(tx_code).toMatch(/^\d{6}$/);

    const token = await mf!.dispatchFetch(`${ORIGIN}/t/acme/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: preAuth,
        'pre-authorized_code': credential_offer.grants[preAuth]!['pre-authorized_code'],
        tx_code: tx_code!,
      }).toString(),
    });
    expect(token.status, logs()).toBe(200);
    const { access_token, token_type } = (await token.json()) as { access_token: string; token_type: string };
    expect(token_type).toBe('Bearer');

    const nonce = await mf!.dispatchFetch(`${ORIGIN}/t/acme/nonce`, { method: 'POST' });
    expect(nonce.status, logs()).toBe(200);
    const { c_nonce } = (await nonce.json()) as { c_nonce: string };
    expect(c_nonce).toBeTruthy();

    const holder = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(holder.publicKey);
    const proof = await new SignJWT({ aud: credential_issuer, nonce: c_nonce })
      .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: publicJwk })
      .setIssuedAt()
      .sign(holder.privateKey);
    const issued = await mf!.dispatchFetch(`${ORIGIN}/t/acme/credential`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ credential_configuration_id: credential_offer.credential_configuration_ids[0], proofs: { jwt: [proof] } }),
    });
    expect(issued.status, logs()).toBe(200);
    const { credentials } = (await issued.json()) as { credentials: { credential: string }[] };
    expect(credentials).toHaveLength(1);
    const { credential } = credentials[0]!;
    const { cnf } = decodeJwt<{ cnf: { jwk: Record<string, string> } }>(credential.split('~')[0]!);
    expect({ kty: cnf.jwk.kty, crv: cnf.jwk.crv, x: cnf.jwk.x, y: cnf.jwk.y }).toEqual({
      kty: publicJwk.kty,
      crv: publicJwk.crv,
      x: publicJwk.x,
      y: publicJwk.y,
    });

    const verified = await verifyThroughWorker(credential);
    expect(failedChecks(verified), logs()).toEqual([]);
    expect(verified).toMatchObject({ verified: true, format: 'dc+sd-jwt' });

    const vcApi = await mf!.dispatchFetch(`${ORIGIN}/t/acme/credentials/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        verifiableCredential: {
          '@context': 'https://www.w3.org/ns/credentials/v2',
          type: 'EnvelopedVerifiableCredential',
          id: `data:application/dc+sd-jwt,${credential}`,
        },
      }),
    });
    expect(vcApi.status, logs()).toBe(200);
    const vcApiResult = (await vcApi.json()) as { verified: boolean; errors: unknown[]; launchproof: VerificationResult };
    expect(vcApiResult.errors).toEqual([]);
    expect(vcApiResult.verified).toBe(true);
    expect(vcApiResult.launchproof).toMatchObject({ verified: true, format: 'dc+sd-jwt' });
    await expect.poll(otherSessions, { timeout: 10_000 }).toBe(0);
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

  it('delivers a tenant webhook from the Cron Trigger, signed so the Standard Webhooks reference library accepts it', async () => {
    const admin = await createApiKey({ db: db!, now: new Date(), actor: 'test' }, { tenantId: 'acme', roles: ['admin', 'issuer'] });
    const worker = await mf!.getWorker('webhooks');
    const call = (method: string, path: string, body?: unknown) =>
      worker.fetch(`${ORIGIN}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const hook = await call('POST', '/v1/t/acme/webhooks', { url: 'https://hooks.workers.test/in', event_types: ['attestation.issued'] });
    expect(hook.status, logs()).toBe(201);
    const { id, secret } = (await hook.json()) as { id: string; secret: string };
    const issued = await call('POST', '/v1/t/acme/attestations', { assessment: readinessAssessment(), formats: ['vc+jwt'] });
    expect(issued.status, logs()).toBe(201);
    const { attestation_id } = (await issued.json()) as { attestation_id: string };
    // The issuing request sequenced its entry after answering; the Cron Trigger delivers.
    await expect.poll(async () => (await acrossTenants(db!, tenantsWithPending)).includes('acme'), { timeout: 10_000 }).toBe(false);
    const result = await worker.scheduled({ cron: CRON });
    expect(result.outcome, logs()).toBe('ok');
    const ours = received.filter(
      (r) => (JSON.parse(r.body) as { data: { attestation_id?: string } }).data.attestation_id === attestation_id,
    );
    expect(ours).toHaveLength(1);
    const message = new Webhook(secret).verify(ours[0]!.body, ours[0]!.headers) as { type: string; data: { log_index: number } };
    expect(message.type).toBe('attestation.issued');
    expect(Number.isInteger(message.data.log_index)).toBe(true);
    const log = (await (await call('GET', `/v1/t/acme/webhooks/${id}/deliveries`)).json()) as {
      deliveries: { outcome: string; status: number }[];
    };
    expect(log.deliveries[0]).toMatchObject({ outcome: 'delivered', status: 204 });
  });

  it('subscribes a buyer from a share link through the Worker and delivers a notice, signed with the tenant key, from the Cron Trigger', async () => {
    const admin = await createApiKey({ db: db!, now: new Date(), actor: 'test' }, { tenantId: 'acme', roles: ['issuer', 'status'] });
    const worker = await mf!.getWorker('webhooks');
    const call = (method: string, path: string, body?: unknown, auth = true) =>
      worker.fetch(`${ORIGIN}${path}`, {
        method,
        headers: { ...(auth ? { authorization: `Bearer ${admin.token}` } : {}), 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const issued = await call('POST', '/v1/t/acme/attestations', { assessment: readinessAssessment(), formats: ['vc+jwt'] });
    expect(issued.status, logs()).toBe(201);
    const { attestation_id } = (await issued.json()) as { attestation_id: string };
    const shared = await call('POST', `/v1/t/acme/attestations/${attestation_id}/shares`, {
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(shared.status, logs()).toBe(201);
    const { token } = (await shared.json()) as { token: string };
    // The buyer needs no account: the share link is the authority; the challenge goes out through the Worker's edge.
    const sub = await call('POST', `/s/${token}/subscriptions`, { url: 'https://hooks.workers.test/buyer' }, false);
    expect(sub.status, `${await sub.clone().text()}\n${logs()}`).toBe(201);
    const { secret } = (await sub.json()) as { secret: string };
    expect((await call('PATCH', `/v1/t/acme/attestations/${attestation_id}/status`, { status: 'suspended', reason: 'audit' })).status).toBe(
      200,
    );
    await expect.poll(async () => (await acrossTenants(db!, tenantsWithPending)).includes('acme'), { timeout: 10_000 }).toBe(false);
    expect((await worker.scheduled({ cron: CRON })).outcome, logs()).toBe('ok');
    const notices = received
      .filter((r) => r.body.includes('"notice.suspended"'))
      .map((r) => new Webhook(secret).verify(r.body, r.headers) as { type: string; data: { attestation_id: string; notice: string } })
      .filter((m) => m.data.attestation_id === attestation_id);
    expect(notices).toHaveLength(1);
    const jws = notices[0]!.data.notice;
    const { kid, alg } = decodeProtectedHeader(jws);
    const { keys } = (await (await worker.fetch(`${ORIGIN}/t/acme/jwks.json`)).json()) as { keys: (JWK & { kid: string })[] };
    const jwk = keys.find((k) => k.kid === kid!.split('#')[1])!;
    const { payload } = await compactVerify(jws, await importJWK(jwk, alg));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ attestation_id, change: 'suspended' });
  });

  it('places and delivers an evidence.expiring reminder from the Cron Trigger (issue 14), once', async () => {
    const admin = await createApiKey({ db: db!, now: new Date(), actor: 'test' }, { tenantId: 'acme', roles: ['admin', 'issuer'] });
    const worker = await mf!.getWorker('webhooks');
    const call = (method: string, path: string, body?: unknown) =>
      worker.fetch(`${ORIGIN}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const hook = await call('POST', '/v1/t/acme/webhooks', { url: 'https://hooks.workers.test/in', event_types: ['evidence.expiring'] });
    expect(hook.status, logs()).toBe(201);
    const { secret } = (await hook.json()) as { secret: string };
    // The Worker's clock is the machine's: evidence expiring in 5 days is past the 7-day threshold already.
    const expiresAt = new Date(Date.now() + 5 * 86_400_000).toISOString();
    const a = readinessAssessment();
    const assessment = {
      ...a,
      results: a.results.map((r) =>
        r.control === 'security.ssrf' ? { ...r, evidence: r.evidence!.map((e) => ({ ...e, expiresAt })) } : r,
      ),
    };
    const issued = await call('POST', '/v1/t/acme/attestations', { assessment, formats: ['vc+jwt'] });
    expect(issued.status, logs()).toBe(201);
    const { attestation_id } = (await issued.json()) as { attestation_id: string };
    const ours = () =>
      received.filter((r) => {
        const m = JSON.parse(r.body) as { type: string; data: { attestation_id?: string } };
        return m.type === 'evidence.expiring' && m.data.attestation_id === attestation_id;
      });
    expect((await worker.scheduled({ cron: CRON })).outcome, logs()).toBe('ok');
    expect(ours()).toHaveLength(1);
    const message = new Webhook(secret).verify(ours()[0]!.body, ours()[0]!.headers) as { data: Record<string, unknown> };
    expect(message.data).toEqual({
      attestation_id,
      control: 'security.ssrf',
      evidence: assessment.results.find((r) => r.control === 'security.ssrf')!.evidence![0]!.uri,
      expires_at: expiresAt,
      days_left: 7,
    });
    // The next run finds it placed: nothing more until the 1-day threshold.
    expect((await worker.scheduled({ cron: CRON })).outcome, logs()).toBe('ok');
    expect(ours()).toHaveLength(1);
  });

  it('a Worker whose PUBLIC_URL is not the recorded origin refuses to serve and its Cron Trigger signs nothing (issue 11, defect 3)', async () => {
    const before = await withTenant(db!, 'acme', (tx) =>
      tx.query('select list_id, version, token from status_publications order by list_id'),
    );
    const keysBefore = await keysOf('acme');
    const worker = await mf!.getWorker('other-origin');
    const res = await worker.fetch('https://other.workers.test/t/acme/did.json');
    expect(res.status).toBe(500);
    expect(JSON.parse(await res.text())).toMatchObject({ status: 500, code: 'internal_error' });
    await expect.poll(logs).toContain(`recorded origin ${ORIGIN}`);
    expect((await worker.scheduled({ cron: CRON })).outcome).toBe('exception');
    expect(
      await withTenant(db!, 'acme', (tx) => tx.query('select list_id, version, token from status_publications order by list_id')),
    ).toEqual(before);
    expect(await keysOf('acme')).toEqual(keysBefore);
  });
});
