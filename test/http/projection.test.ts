import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { followChanges, type Following } from '../../src/projection/follow.ts';
import { Projection } from '../../src/projection/projection.ts';
import { changeStatus } from '../../src/status/changes.ts';
import type { Database, Queryable } from '../../src/store/port.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { readinessAssessment } from './helpers.ts';

/** Every statement a database is asked to run, inside transactions or not. */
function recording(db: Database): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const wrap = (q: Queryable): Queryable => ({
    query: (text, params) => {
      statements.push(text.trim().replace(/\s+/g, ' '));
      return q.query(text, params);
    },
    exec: (text) => {
      statements.push(text.trim().replace(/\s+/g, ' '));
      return q.exec(text);
    },
  });
  const base = wrap(db);
  return {
    statements,
    db: { ...db, query: base.query, exec: base.exec, transaction: (fn) => db.transaction((tx) => fn(wrap(tx))) },
  };
}

/** POST /v1/verify through `app` on `db`: always a 200 report, whatever it says. */
async function verifyThrough(app: ReturnType<typeof createApp>, db: Database, credential: string): Promise<{ verified: boolean }> {
  const res = await app.fetch(
    new Request(`${ORIGIN}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ credential }),
    }),
    { db },
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { verified: boolean };
}

/**
 * The projection's promise to a user: public documents and verification of this deployment's
 * own credentials come from memory, and verifying never opens a key or writes anything.
 */
describe('public reads and verification from the projection', () => {
  let t: TestDatabase;
  let h: Harness;
  let following: Following;
  const log = createJsonLogger('error');
  let credentials: { format: string; credential: string }[];
  let lists: string[];

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    const issued = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] },
    });
    expect(issued.status).toBe(201);
    const body = (await issued.json()) as { attestation_id: string; credentials: { format: string; credential: string }[] };
    credentials = body.credentials;
    const record = (await (await h.request('GET', `/v1/t/acme/attestations/${body.attestation_id}`, { token: h.adminToken })).json()) as {
      status_lists: { token: string; revocation: string; suspension: string }[];
    };
    lists = record.status_lists.flatMap((l) => [l.token, l.revocation, l.suspension].map((u) => new URL(u).pathname));
  });
  afterAll(async () => {
    await following?.stop();
    await t?.dispose();
  });

  const PUBLIC = () => [
    '/.well-known/did.json',
    '/t/acme/did.json',
    '/t/acme/jwks.json',
    '/.well-known/jwt-vc-issuer/t/acme',
    '/.well-known/openid-credential-issuer/t/acme',
    '/.well-known/oauth-authorization-server/t/acme',
    '/t/acme/profiles',
    '/types/launch-readiness/v1',
    ...lists,
  ];

  it('serves every public document and verifies every format with no database round trip once warm', async () => {
    const { db, statements } = recording(t.db);
    const projection = new Projection({ clock: h.clock });
    following = await followChanges(projection, db, log, { pollMs: 3_600_000 });
    const app = createApp({
      config: h.config,
      kek: h.kek,
      clock: h.clock,
      log,
      fetch: () => Promise.reject(new Error('offline')),
      projection,
    });
    const get = (path: string, headers: Record<string, string> = {}) => app.fetch(new Request(`${ORIGIN}${path}`, { headers }), { db });
    const verify = (credential: string) => verifyThrough(app, db, credential);

    // Warm: each document and each verification reads what it needs once.
    const bodies = new Map<string, string>();
    for (const path of PUBLIC()) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      bodies.set(path, await res.text());
    }
    for (const c of credentials) expect((await verify(c.credential)).verified, c.format).toBe(true);
    // Verification only ever reads: no insert, update or delete, and no key is opened to sign.
    expect(statements.filter((s) => /^(insert|update|delete)\b/i.test(s))).toEqual([]);

    statements.length = 0;
    for (let round = 0; round < 3; round++) {
      for (const path of PUBLIC()) {
        const res = await get(path);
        expect(await res.text(), path).toBe(bodies.get(path));
        const etag = res.headers.get('etag')!;
        expect((await get(path, { 'if-none-match': etag })).status, path).toBe(304);
      }
      for (const c of credentials) expect((await verify(c.credential)).verified, c.format).toBe(true);
    }
    expect(statements).toEqual([]);
  });

  it('verifies with a key-encryption key that opens no signing key: verification needs none', async () => {
    // A change another instance committed and died before re-signing: the list's copy is behind.
    // A reader that signed to catch up would need a key here; this one serves the copy it has.
    const other = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    const otherId = ((await other.json()) as { credentials: { id: string }[] }).credentials[0]!.id.replace('urn:uuid:', '');
    await withTenant(t.db, 'acme', (tx) =>
      changeStatus(tx, { now: h.clock(), actor: 'elsewhere' }, 'acme', otherId, { to: 'revoked', reason: 'x' }),
    );
    const foreign = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const { db, statements } = recording(t.db);
    const app = createApp({ config: h.config, kek: foreign, clock: h.clock, log, fetch: () => Promise.reject(new Error('offline')) });
    for (const c of credentials) {
      expect((await verifyThrough(app, db, c.credential)).verified, c.format).toBe(true);
    }
    expect(statements.some((s) => /private_jwk_enc/.test(s))).toBe(false);
    expect(statements.filter((s) => /^(insert|update|delete)\b/i.test(s))).toEqual([]);
  });

  it('sees a change this process commits at once: a revocation reads as revoked in the next verification and list', async () => {
    const projection = new Projection({ clock: h.clock });
    projection.mode = 'notified'; // no version checks at all: only the local announcement can tell it
    const app = createApp({
      config: h.config,
      kek: h.kek,
      clock: h.clock,
      log,
      fetch: () => Promise.reject(new Error('offline')),
      projection,
    });
    const call = (method: string, path: string, body?: unknown) =>
      app.fetch(
        new Request(`${ORIGIN}${path}`, {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${h.adminToken}` },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
        h.bindings,
      );
    const credential = credentials.find((c) => c.format === 'vc+jwt')!.credential;
    const before = (await (await call('POST', '/v1/verify', { credential })).json()) as { verified: boolean };
    expect(before.verified).toBe(true);
    const token = await (await call('GET', lists[0]!)).text();
    const id = (JSON.parse(Buffer.from(credential.split('.')[1]!, 'base64url').toString()) as { id: string }).id;
    const changed = await call('PATCH', `/v1/t/acme/credentials/${encodeURIComponent(id)}/status`, { status: 'suspended', reason: 'test' });
    expect(changed.status).toBe(200);
    const after = (await (await call('POST', '/v1/verify', { credential })).json()) as { verified: boolean; status?: string };
    expect(after.verified).toBe(false);
    expect(await (await call('GET', lists[0]!)).text()).not.toBe(token);
  });
});
