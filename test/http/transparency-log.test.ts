import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { bundleEntries } from '../../src/transparency/entries.ts';
import { profilePublishedEntry } from '../../src/transparency/events.ts';
import { parseVerifierKey, verifierKey } from '../../src/transparency/note.ts';
import { sequenceTenant } from '../../src/transparency/sequencer.ts';
import { appendEntries } from '../../src/transparency/store.ts';
import { logSequencerDeps } from '../../src/use-cases/log-sequencer.ts';
import { rootFromTiles, tileHashes, tilePath, TILE_WIDTH, type TileCoordinates } from '../../src/transparency/tiles.ts';
import { hexOf } from '../../src/util/bytes.ts';
import { readinessAssessment } from './helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, testWebAssets, type Harness } from '../support/harness.ts';
import { parseConfig } from '../../src/config/index.ts';
import { createApp } from '../../src/http/app.ts';
import { createJsonLogger } from '../../src/log/logger.ts';

/*
 * The tenant log as a tile client, a witness and a buyer's auditor read it over HTTP, checked
 * with nothing of the service's proof code: the checkpoint opened with the published key, the
 * root recomputed from the served tiles, and every served proof verified by an RFC 9162 check
 * written in Python with hashlib alone (test/transparency/rfc9162_check.py).
 */

const utf8 = new TextEncoder();
const hexOfB64 = (s: string) => Buffer.from(s, 'base64').toString('hex');

interface RfcCheck {
  roots: string[];
  inclusion: boolean[];
  consistency: boolean[];
}

function rfc9162(input: {
  entries: string[];
  inclusion: { index: number; size: number; proof: string[] }[];
  consistency: { first: number; second: number; proof: string[] }[];
}): RfcCheck {
  const run = spawnSync('python3', [join(import.meta.dirname, '../transparency/rfc9162_check.py')], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as RfcCheck;
}

describe.each(engines())('the tenant log over HTTP, on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let issued: { attestation_id: string; log: { status: string; proof: string } };

  const get = (path: string, token?: string) => h.request('GET', path, token ? { token } : {});
  const text = async (path: string) => {
    const res = await get(path);
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'quiet', name: 'Quiet' } })).status).toBe(201);
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt', 'dc+sd-jwt'] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    issued = (await res.json()) as typeof issued;
    const suspended = await h.request('PATCH', `/v1/t/acme/attestations/${issued.attestation_id}/status`, {
      token: h.adminToken,
      body: { status: 'suspended', reason: 'audit', public_reason: 'under review' },
    });
    expect(suspended.status).toBe(200);
    // Past one full tile of leaves, so full and partial tiles and bundles are both served.
    const at = new Date('2026-01-01T00:00:00Z');
    await withTenant(t.db, 'acme', (tx) =>
      appendEntries(
        tx,
        'acme',
        Array.from({ length: 300 }, (_, i) =>
          profilePublishedEntry('acme', { id: `p${i}`, version: '1.0.0', digest: `sha256-${Buffer.alloc(32, i).toString('base64')}`, at }),
        ),
      ),
    );
    await h.settleLog();
  });
  afterAll(async () => {
    await h.sequencing.stop();
    await t.dispose();
  });

  /** The checkpoint, opened with the key /t/acme/log/key serves. */
  async function checkpoint() {
    const res = await get('/t/acme/log/checkpoint');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const note = await res.text();
    const vkey = await text('/t/acme/log/key');
    const { checkpoint } = await openCheckpoint(note, 'issuer.test/t/acme', await parseVerifierKey(vkey));
    return { note, checkpoint };
  }

  /** Every entry of the log, read from the served entry bundles. */
  async function allEntries(size: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let index = 0; index * TILE_WIDTH < size; index++) {
      const width = Math.min(TILE_WIDTH, size - index * TILE_WIDTH);
      const path = `/t/acme/log/${tilePath({ level: 0, index, width }).replace(/^tile\/0\//, 'tile/entries/')}`;
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control')).toBe(width === TILE_WIDTH ? 'public, max-age=31536000, immutable' : 'public, max-age=60');
      const entries = bundleEntries(new Uint8Array(await res.arrayBuffer()));
      expect(entries?.length).toBe(width);
      out.push(...entries!);
    }
    return out;
  }

  it('serves a checkpoint its published key opens, whose root the served tiles recompute and an RFC 9162 check of the served entries agrees with', async () => {
    const { checkpoint: cp } = await checkpoint();
    expect(cp.size).toBeGreaterThan(300);
    const read = async (tile: TileCoordinates) => {
      const res = await get(`/t/acme/log/${tilePath(tile)}`);
      expect(res.status, tilePath(tile)).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('cache-control')).toBe(
        tile.width === TILE_WIDTH ? 'public, max-age=31536000, immutable' : 'public, max-age=60',
      );
      return tileHashes(new Uint8Array(await res.arrayBuffer()), tile.width)!;
    };
    expect(hexOf(await rootFromTiles(cp.size, read))).toBe(hexOf(cp.root));

    const entries = await allEntries(cp.size);
    const check = rfc9162({ entries: entries.map(hexOf), inclusion: [], consistency: [] });
    expect(check.roots[cp.size]).toBe(hexOf(cp.root));
    // One entry on its own is the same bytes as in its bundle, served as the JSON it is.
    const one = await get('/t/acme/log/entries/3');
    expect(one.headers.get('content-type')).toMatch(/^application\/json/);
    expect(hexOf(new Uint8Array(await one.arrayBuffer()))).toBe(hexOf(entries[3]!));
  });

  it('publishes the log key in the DID document as a method of its own, never one that signs credentials, and the checkpoint opens with it', async () => {
    const { note } = await checkpoint();
    const doc = (await (await get('/t/acme/did.json')).json()) as {
      verificationMethod: { id: string; type: string; controller: string; publicKeyJwk: Record<string, string> }[];
      assertionMethod: string[];
      authentication?: string[];
    };
    const logMethods = doc.verificationMethod.filter((m) => m.id.startsWith('did:web:issuer.test:t:acme#log-'));
    expect(logMethods).toHaveLength(1);
    const [method] = logMethods;
    expect(method!.type).toBe('JsonWebKey');
    expect(Object.keys(method!.publicKeyJwk).sort()).toEqual(['crv', 'kty', 'x']);
    expect(method!.publicKeyJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(doc.assertionMethod).not.toContain(method!.id);
    expect(doc.authentication ?? []).not.toContain(method!.id);
    expect(doc.assertionMethod.length).toBeGreaterThan(0);
    // The note verifier key made from the DID document's JWK alone opens the served checkpoint.
    const vkey = await verifierKey('issuer.test/t/acme', Buffer.from(method!.publicKeyJwk.x!, 'base64url'));
    expect(vkey).toBe(await text('/t/acme/log/key'));
    await openCheckpoint(note, 'issuer.test/t/acme', await parseVerifierKey(vkey));
    // A tenant whose log has run has its key there too; the DID document follows the key as it appears.
    const quiet = (await (await get('/t/quiet/did.json')).json()) as typeof doc;
    expect(quiet.verificationMethod.filter((m) => m.id.includes('#log-'))).toHaveLength(1);
  });

  it('proves the issuance and the status change against the checkpoint, and consistency between any two sizes, as RFC 9162 checks them', async () => {
    expect(issued.log).toEqual({ status: 'pending', proof: `https://issuer.test/v1/t/acme/attestations/${issued.attestation_id}/proof` });
    const res = await get(new URL(issued.log.proof).pathname, h.adminToken);
    expect(res.status, await res.clone().text()).toBe(200);
    const proof = (await res.json()) as {
      log_index: number;
      tree_size: number;
      root_hash: string;
      inclusion_proof: string[];
      checkpoint: string;
      entry: string;
      status_changes: { log_index: number; entry: string; inclusion_proof: string[] }[];
    };
    const { note, checkpoint: cp } = await checkpoint();
    expect(proof.checkpoint).toBe(note);
    expect(proof.tree_size).toBe(cp.size);
    expect(hexOfB64(proof.root_hash)).toBe(hexOf(cp.root));
    expect(JSON.parse(proof.entry)).toMatchObject({ type: 'attestation.issued', attestation: issued.attestation_id });
    expect(proof.status_changes).toHaveLength(1);
    expect(JSON.parse(proof.status_changes[0]!.entry)).toMatchObject({ type: 'status.changed', to: 'suspended' });

    // The record and the list show the same position once it exists.
    const record = (await (await get(`/v1/t/acme/attestations/${issued.attestation_id}`, h.adminToken)).json()) as { log_index: number };
    expect(record.log_index).toBe(proof.log_index);
    const list = (await (await get('/v1/t/acme/attestations', h.adminToken)).json()) as {
      attestations: { id: string; log_index: number | null }[];
    };
    expect(list.attestations.find((a) => a.id === issued.attestation_id)?.log_index).toBe(proof.log_index);

    const entries = await allEntries(cp.size);
    expect(hexOf(entries[proof.log_index]!)).toBe(hexOf(utf8.encode(proof.entry)));
    expect(hexOf(entries[proof.status_changes[0]!.log_index]!)).toBe(hexOf(utf8.encode(proof.status_changes[0]!.entry)));

    const pairs = [
      [1, cp.size],
      [proof.log_index + 1, cp.size],
      [7, 256],
      [256, 257],
      [100, 290],
    ];
    const consistency = [];
    for (const [from, to] of pairs) {
      const r = await get(`/t/acme/log/consistency?from=${from}&to=${to}`);
      expect(r.status, await r.clone().text()).toBe(200);
      const body = (await r.json()) as { from: number; to: number; proof: string[]; checkpoint: string };
      expect([body.from, body.to, body.checkpoint]).toEqual([from, to, note]);
      consistency.push({ first: from!, second: to!, proof: body.proof.map(hexOfB64) });
    }
    // A tree is consistent with itself by an empty proof (RFC 9162 §2.1.4.2; the Python check covers first < second only).
    const same = (await (await get(`/t/acme/log/consistency?from=${cp.size}&to=${cp.size}`)).json()) as { proof: string[] };
    expect(same.proof).toEqual([]);
    // `to` defaults to the checkpoint's size.
    const latest = (await (await get('/t/acme/log/consistency?from=5')).json()) as { to: number };
    expect(latest.to).toBe(cp.size);

    const inclusion = [proof, ...proof.status_changes].map((p) => ({
      index: p.log_index,
      size: cp.size,
      proof: p.inclusion_proof.map(hexOfB64),
    }));
    // A proof altered by one bit must fail the same check (the check can fail).
    const tampered = {
      ...inclusion[0]!,
      proof: inclusion[0]!.proof.map((p, i) => (i === 0 ? `${p.slice(0, -1)}${p.endsWith('0') ? '1' : '0'}` : p)),
    };
    const check = rfc9162({ entries: entries.map(hexOf), inclusion: [...inclusion, tampered], consistency });
    expect(check.roots[cp.size]).toBe(hexOf(cp.root));
    expect(check.inclusion).toEqual([true, true, false]);
    expect(check.consistency).toEqual(consistency.map(() => true));
  });

  it('names the log key by the log’s own origin, as its checkpoints do, after the deployment moves to another URL', async () => {
    await h.settleLog();
    const moved = createApp({
      config: parseConfig({ LAUNCHPROOF_ENV: 'test', PUBLIC_URL: 'https://moved.test' }),
      kek: h.kek,
      clock: h.clock,
      log: createJsonLogger('error', () => {}),
      fetch: () => Promise.reject(new Error('no network in tests')),
      webAssets: testWebAssets(),
    });
    const served = await moved.fetch(new Request('https://moved.test/t/acme/log/key'), { db: t.db });
    expect(served.status).toBe(200);
    const note = await (await moved.fetch(new Request('https://moved.test/t/acme/log/checkpoint'), { db: t.db })).text();
    const { checkpoint } = await openCheckpoint(note, 'issuer.test/t/acme', await parseVerifierKey(await served.text()));
    expect(checkpoint.origin).toBe('issuer.test/t/acme');
  });

  it('shows the log position on the share page, with links to the checkpoint and the log key', async () => {
    const proof = (await (await get(`/v1/t/acme/attestations/${issued.attestation_id}/proof`, h.adminToken)).json()) as {
      log_index: number;
    };
    const created = await h.request('POST', `/v1/t/acme/attestations/${issued.attestation_id}/shares`, {
      token: h.adminToken,
      body: { reveal: ['/results/security.ssrf'], expires_at: new Date(h.clock().getTime() + 86_400_000).toISOString() },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const html = await text(`/s/${token}`);
    expect(html).toContain(`entry <strong>${proof.log_index}</strong>`);
    expect(html).toContain('href="https://issuer.test/t/acme/log/checkpoint"');
    expect(html).toContain('href="https://issuer.test/t/acme/log/key"');
  });

  it('refuses bad input with a 4xx problem, never a 5xx', async () => {
    const { checkpoint: cp } = await checkpoint();
    const cases: [string, number, string][] = [
      ['/t/acme/log/tile/0/0', 404, 'not_found'], // not zero-padded
      ['/t/acme/log/tile/0/0000', 404, 'not_found'],
      ['/t/acme/log/tile/0/x000/001', 404, 'not_found'], // a leading zero group
      ['/t/acme/log/tile/0/001.p/256', 404, 'not_found'], // a full tile spelled as partial
      ['/t/acme/log/tile/0/001.p/0', 404, 'not_found'],
      ['/t/acme/log/tile/0/001.p/250', 404, 'not_found'], // wider than the log holds there
      ['/t/acme/log/tile/0/%30%30%30', 404, 'not_found'],
      ['/t/acme/log/tile/0/x999/x999/x999/x999/x999/999', 404, 'not_found'], // beyond a safe integer
      ['/t/acme/log/tile/0/x009/x007/x199/x254/x740/991', 404, 'not_found'], // 2^53 - 1: a huge tile beyond the log
      ['/t/acme/log/tile/63/000', 404, 'not_found'],
      ['/t/acme/log/tile/64/000', 404, 'not_found'],
      ['/t/acme/log/tile/entries/005', 404, 'not_found'],
      ['/t/acme/log/tile/entries/000.p/x', 404, 'not_found'],
      ['/t/acme/log/tile/', 404, 'not_found'],
      ['/t/acme/log/entries/-1', 400, 'invalid_request'],
      ['/t/acme/log/entries/abc', 400, 'invalid_request'],
      ['/t/acme/log/entries/01', 400, 'invalid_request'],
      ['/t/acme/log/entries/1e3', 400, 'invalid_request'],
      [`/t/acme/log/entries/${cp.size}`, 404, 'log_entry_not_found'],
      ['/t/acme/log/entries/99999999999999999999999', 404, 'log_entry_not_found'],
      ['/t/acme/log/consistency?from=5&to=4', 400, 'invalid_request'],
      [`/t/acme/log/consistency?from=1&to=${cp.size + 1}`, 400, 'invalid_request'],
      ['/t/acme/log/consistency?from=-1', 400, 'invalid_request'],
      ['/t/acme/log/consistency?from=x&to=2', 400, 'invalid_request'],
      ['/t/acme/log/consistency?from=1&to=9007199254740993', 400, 'invalid_request'],
      ['/t/acme/log/consistency', 400, 'invalid_request'],
      ['/t/nobody/log/checkpoint', 404, 'tenant_not_found'],
      ['/t/nobody/log/tile/0/000', 404, 'tenant_not_found'],
      ['/t/nobody/log/key', 404, 'tenant_not_found'],
      ['/t/NO%20BODY/log/entries/0', 404, 'tenant_not_found'],
    ];
    for (const [path, status, code] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(status);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code, path).toBe(code);
    }
  });

  it('answers log_not_found for a tenant whose log has nothing sequenced, and 409 log_entry_pending for an issuance not yet sequenced', async () => {
    // The sequencer stopped: what is committed now waits.
    await h.sequencing.stop();
    const tenant = await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'fresh', name: 'Fresh' } });
    expect(tenant.status).toBe(201);
    const res = await get('/t/fresh/log/checkpoint');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('log_not_found');
    const logMethods = async () =>
      ((await (await get('/t/fresh/did.json')).json()) as { verificationMethod: { id: string }[] }).verificationMethod.filter((m) =>
        m.id.includes('#log-'),
      );
    // The log key is made with the tenant: its first DID document names it, before any checkpoint.
    expect(await logMethods()).toHaveLength(1);
    await sequenceTenant(logSequencerDeps(t.db, h.kek, h.config.publicUrl, h.clock), 'fresh');
    expect(await logMethods()).toHaveLength(1);
    expect((await get('/t/fresh/log/checkpoint')).status).toBe(200);

    const issuedNow = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    const { attestation_id } = (await issuedNow.json()) as { attestation_id: string };
    const pending = await get(`/v1/t/acme/attestations/${attestation_id}/proof`, h.adminToken);
    expect(pending.status).toBe(409);
    expect(pending.headers.get('retry-after')).toBe('1');
    expect(((await pending.json()) as { code: string }).code).toBe('log_entry_pending');
    const record = (await (await get(`/v1/t/acme/attestations/${attestation_id}`, h.adminToken)).json()) as { log_index: unknown };
    expect(record.log_index).toBeNull();

    const unknown = await get('/v1/t/acme/attestations/00000000-0000-4000-8000-000000000000/proof', h.adminToken);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('attestation_not_found');
    expect((await get(`/v1/t/acme/attestations/${attestation_id}/proof`)).status).toBe(401);
  });
});
