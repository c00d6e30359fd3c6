import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gunzipSync, inflateSync } from 'node:zlib';
import { getListFromStatusListJWT, getStatusListFromJWT } from '@sd-jwt/jwt-status-list';
import {
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  jwtVerify,
  type JWK,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { skipBecause } from '../support/skip.ts';

/**
 * The published status lists read by readers that share no code with src/status/: the
 * OpenWallet Foundation's @sd-jwt/jwt-status-list (pako inside), a Python reader built on the
 * standard library's zlib and gzip with jwcrypto for signatures (python/read_status_list.py),
 * and node:zlib with the bit arithmetic written out here. Each credential's place is taken from
 * the credential itself, each key from the documents the service publishes, each list from its
 * public URL. A credential walks valid → suspended → valid → revoked and every reader must see
 * every step; credentials nobody touched must read valid throughout, in every list.
 */

type Json = Record<string, unknown>;
type Format = 'vc+jwt' | 'jwt_vc_json' | 'dc+sd-jwt';
type Status = 'valid' | 'suspended' | 'revoked';
type Purpose = 'revocation' | 'suspension';
const FORMATS: Format[] = ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'];
const PURPOSES: Purpose[] = ['revocation', 'suspension'];

/** What each list says of a status: draft-ietf-oauth-status-list's values, and one bit per W3C purpose. */
const TOKEN_VALUE: Record<Status, number> = { valid: 0, revoked: 1, suspended: 2 };
const BIT: Record<Purpose, Record<Status, number>> = {
  revocation: { valid: 0, suspended: 0, revoked: 1 },
  suspension: { valid: 0, suspended: 1, revoked: 0 },
};
/** The W3C floor (herd privacy), which our lists use as their size in both formats. */
const ENTRIES = 131_072;

const PYTHON = '/usr/bin/python3';
const READER_PY = fileURLToPath(new URL('./python/read_status_list.py', import.meta.url));

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const pathOf = (url: string) => {
  const u = new URL(url);
  expect(u.origin).toBe(ORIGIN);
  return u.pathname;
};

/** One credential as a relying party holds it, with where it says its status is published. */
interface Held {
  readonly format: Format;
  readonly id: string;
  readonly index: number;
  readonly urls: { token: string; revocation: string; suspension: string };
}

type PythonReading = { status: number; size: number; kid: string; claims: Json } | { error: string };

/** Runs python/read_status_list.py once; several run side by side, each its own process. */
function readWithPython(input: {
  jws: string;
  keys: unknown;
  format: 'token' | 'bitstring';
  index: number;
  purpose?: Purpose;
  now: number;
}) {
  return new Promise<PythonReading>((resolve, reject) => {
    const child = spawn(PYTHON, [READER_PY], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`read_status_list.py exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as PythonReading);
    });
    child.stdin.end(JSON.stringify(input));
  });
}

async function pythonStatus(input: Parameters<typeof readWithPython>[0], size: number): Promise<number> {
  const out = await readWithPython(input);
  if ('error' in out) throw new Error(`read_status_list.py refused the ${input.format} list at ${input.index}: ${out.error}`);
  expect(out.size, `entries the Python reader found in the ${input.format} list`).toBe(size);
  return out.status;
}

/** node:zlib, and the bit layout each specification describes, written out independently of src/status/bitstring.ts. */
const nodeZlib = {
  tokenBytes: (lst: string) => new Uint8Array(inflateSync(Buffer.from(lst, 'base64url'))),
  bitstringBytes: (encodedList: string) => {
    expect(encodedList[0], 'multibase prefix of encodedList').toBe('u');
    return new Uint8Array(gunzipSync(Buffer.from(encodedList.slice(1), 'base64url')));
  },
  /** Token Status List: statuses of `bits` fill each byte from the least significant bit up. */
  tokenStatus: (bytes: Uint8Array, bits: number, index: number) =>
    (bytes[(index * bits) >> 3]! >> ((index * bits) & 7)) & ((1 << bits) - 1),
  /** Bitstring Status List: index 0 is the left-most, most significant, bit of byte 0. */
  bit: (bytes: Uint8Array, index: number) => (bytes[index >> 3]! >> (7 - (index & 7))) & 1,
};

/** Every [index, value] that is not 0, by reading every entry the bytes hold. */
function nonZero(bytes: Uint8Array, bits: number, read: (i: number) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < (bytes.length * 8) / bits; i++) {
    const v = read(i);
    if (v !== 0) out[i] = v;
  }
  return out;
}

const pythonProbe = spawnSync(PYTHON, ['-c', 'import jwcrypto.jwk, jwcrypto.jws'], { encoding: 'utf8' });
const pythonReady = pythonProbe.status === 0;
const pythonRequired = process.env.CI === 'true' || process.env.REQUIRE_PYTHON_VERIFIERS === '1';

describe.skipIf(
  skipBecause(
    !pythonReady && !pythonRequired,
    'Debian python3-jwcrypto and python3-jwt are missing for /usr/bin/python3 (apt-get install python3-jwcrypto python3-jwt; CI installs them)',
  ),
)('status lists read alike by independent readers, from published documents only', () => {
  let db: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    if (pythonProbe.status !== 0) {
      throw new Error(
        `${PYTHON} cannot import jwcrypto: the Python status-list reader needs Debian's python3-jwcrypto ` +
          `(apt-get install -y python3-jwcrypto). ${pythonProbe.error?.message ?? pythonProbe.stderr}`,
      );
    }
    db = await freshPglite();
    h = await harness(db.db);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  describe.each([
    { alg: 'ES256' as const, tenant: 'status-es256' },
    { alg: 'EdDSA' as const, tenant: 'status-eddsa' },
  ])('$alg tenant', ({ alg, tenant }) => {
    const did = `did:web:issuer.test:t:${tenant}`;
    const issuerUrl = `${ORIGIN}/t/${tenant}`;
    /** One credential per format walks; the other three are never touched. */
    let walked: Held[];
    let untouched: Held[];
    const statusOf = new Map<string, Status>();

    async function get(path: string): Promise<Response> {
      const res = await h.request('GET', path);
      expect(res.status, `GET ${path}`).toBe(200);
      return res;
    }

    /** Issues one credential of each format and reads, from each, where its status is published. */
    async function issue(): Promise<Held[]> {
      const res = await h.request('POST', `/v1/t/${tenant}/attestations`, {
        token: h.adminToken,
        body: { assessment: readinessAssessment(), formats: FORMATS },
      });
      const text = await res.text();
      expect(res.status, text).toBe(201);
      const body = JSON.parse(text) as { credentials: { id: string; format: Format; credential: string }[] };
      expect(body.credentials.map((c) => c.format)).toEqual(FORMATS);
      return Promise.all(body.credentials.map((c) => held(c.format, c.id, c.credential)));
    }

    async function held(format: Format, id: string, credential: string): Promise<Held> {
      // The operator's view names the slot; each credential must point at that same place.
      const viewRes = await h.request('GET', `/v1/t/${tenant}/credentials/${encodeURIComponent(id)}/status`, { token: h.adminToken });
      expect(viewRes.status).toBe(200);
      const view = (await viewRes.json()) as {
        status: Status;
        status_list: { index: number; token: string; revocation: string; suspension: string };
      };
      expect(view.status).toBe('valid');
      const { index, token, revocation, suspension } = view.status_list;
      const urls = { token, revocation, suspension };
      if (format === 'dc+sd-jwt') {
        // Read with the status-list library's own accessor, from the issuer-signed JWT.
        const ref = getStatusListFromJWT(credential.split('~')[0]!);
        expect(ref).toEqual({ idx: index, uri: token });
      } else {
        const claims = decodeJwt(credential);
        const vc = (format === 'vc+jwt' ? claims : claims.vc) as { credentialStatus: Json[] };
        expect(vc.credentialStatus).toHaveLength(2);
        for (const purpose of PURPOSES) {
          const entry = vc.credentialStatus.find((e) => e.statusPurpose === purpose);
          expect(entry, `${format} ${purpose} entry`).toMatchObject({
            type: 'BitstringStatusListEntry',
            statusListIndex: String(index),
            statusListCredential: urls[purpose],
          });
        }
      }
      return { format, id, index, urls };
    }

    /** The issuer's keys as a verifier finds them: JWK Set, SD-JWT VC issuer metadata, DID document. */
    async function publishedKeys() {
      const jwks = (await (await get(`/t/${tenant}/jwks.json`)).json()) as { keys: JWK[] };
      const metadata = (await (await get(`/.well-known/jwt-vc-issuer/t/${tenant}`)).json()) as { issuer: string; jwks: { keys: JWK[] } };
      expect(metadata.issuer).toBe(issuerUrl);
      const didDocument = (await (await get(`/t/${tenant}/did.json`)).json()) as Json & {
        verificationMethod: { id: string; publicKeyJwk: JWK }[];
      };
      return { jwks, metadata, didDocument };
    }

    type Keys = Awaited<ReturnType<typeof publishedKeys>>;

    /**
     * Fetches the token of one list, checks it with jose against the JWK Set, and returns it with
     * the bytes node:zlib inflates and the list @sd-jwt/jwt-status-list decodes.
     */
    async function readToken(url: string, keys: Keys, now: Date) {
      const res = await get(pathOf(url));
      expect(res.headers.get('content-type')).toBe('application/statuslist+jwt');
      const jws = await res.text();
      const { payload, protectedHeader } = await jwtVerify(jws, createLocalJWKSet(keys.jwks), {
        typ: 'statuslist+jwt',
        algorithms: [alg],
        issuer: issuerUrl,
        subject: url,
        currentDate: now,
      });
      expect(protectedHeader.typ).toBe('statuslist+jwt');
      // The kid is the bare RFC 7638 thumbprint of the key, listed where SD-JWT VC verifiers look too.
      const key = keys.jwks.keys.find((k) => k.kid === protectedHeader.kid)!;
      expect(protectedHeader.kid).toBe(await calculateJwkThumbprint(key, 'sha256'));
      expect(keys.metadata.jwks.keys.map((k) => k.kid)).toContain(protectedHeader.kid);
      expect(payload.sub).toBe(url);
      // A fresh copy: signed when the last change was made, not at issuance.
      expect(payload.iat).toBe(seconds(now));
      expect(payload.exp).toBeGreaterThan(payload.iat!);
      const ttl = payload.ttl as number;
      expect(Number.isInteger(ttl) && ttl > 0 && ttl <= payload.exp! - payload.iat!).toBe(true);
      // ttl is in seconds, as HTTP max-age is: a copy this fresh may be cached exactly that long.
      expect(res.headers.get('cache-control')).toBe(`public, max-age=${ttl}`);
      const statusList = payload.status_list as { bits: number; lst: string };
      expect(statusList.bits).toBe(2);
      const bytes = nodeZlib.tokenBytes(statusList.lst);
      expect(bytes.length).toBe((ENTRIES * statusList.bits) / 8);
      const library = getListFromStatusListJWT(jws);
      expect(library.getBitsPerStatus()).toBe(2);
      expect(library.statusList).toHaveLength(ENTRIES);
      return { jws, payload, kid: protectedHeader.kid!, ttl, bits: statusList.bits, bytes, library };
    }

    /** Fetches one Bitstring Status List credential and checks it with jose against the DID document's key. */
    async function readBitstring(url: string, purpose: Purpose, keys: Keys, token: { payload: Json; kid: string; ttl: number }) {
      const res = await get(pathOf(url));
      expect(res.headers.get('content-type')).toBe('application/vc+jwt');
      const jws = await res.text();
      const header = decodeProtectedHeader(jws);
      expect(header).toMatchObject({ typ: 'vc+jwt', alg });
      // The same key as the token's, named by DID URL and resolved from the DID document.
      expect(header.kid).toBe(`${did}#${token.kid}`);
      const method = keys.didDocument.verificationMethod.find((m) => m.id === header.kid);
      expect(method, `${String(header.kid)} in the DID document`).toBeDefined();
      expect(keys.didDocument.assertionMethod as string[]).toContain(header.kid);
      const verified = await compactVerify(jws, await importJWK(method!.publicKeyJwk, alg));
      const vc = JSON.parse(new TextDecoder().decode(verified.payload)) as Json & { credentialSubject: Json };
      expect(vc.id).toBe(url);
      expect(vc.issuer).toBe(did);
      expect(vc.type).toEqual(['VerifiableCredential', 'BitstringStatusListCredential']);
      expect(vc.validFrom).toBe(new Date((token.payload.iat as number) * 1000).toISOString());
      expect(vc.validUntil).toBe(new Date((token.payload.exp as number) * 1000).toISOString());
      expect(vc.credentialSubject).toMatchObject({ type: 'BitstringStatusList', statusPurpose: purpose });
      // Bitstring Status List's ttl is in milliseconds where the token's is in seconds: the same span.
      expect(vc.credentialSubject.ttl).toBe(token.ttl * 1000);
      const bytes = nodeZlib.bitstringBytes(vc.credentialSubject.encodedList as string);
      expect(bytes.length).toBe(ENTRIES / 8);
      return { jws, vc, bytes };
    }

    /**
     * Reads every credential's status through every reader and checks each says what the last
     * change made it, and that no other entry of any list is set.
     */
    async function expectEveryReaderAgrees() {
      const now = h.clock();
      const keys = await publishedKeys();
      const everyone = [...walked, ...untouched];
      const lists = [...new Set(everyone.map((c) => c.urls.token))];
      const readings = new Map<string, Record<string, number>>();

      for (const tokenUrl of lists) {
        const urls = everyone.find((c) => c.urls.token === tokenUrl)!.urls;
        const token = await readToken(tokenUrl, keys, now);
        const bitstrings = {
          revocation: await readBitstring(urls.revocation, 'revocation', keys, token),
          suspension: await readBitstring(urls.suspension, 'suspension', keys, token),
        };
        const here = everyone.filter((c) => c.urls.token === tokenUrl);
        for (const c of here) expect(c.urls).toEqual(urls);

        // Whole-list scans by node:zlib: exactly the statuses set so far, nothing anywhere else.
        const expectedToken: Record<string, number> = {};
        const expectedBits: Record<Purpose, Record<string, number>> = { revocation: {}, suspension: {} };
        for (const c of here) {
          const s = statusOf.get(c.id)!;
          if (TOKEN_VALUE[s] !== 0) expectedToken[c.index] = TOKEN_VALUE[s];
          for (const p of PURPOSES) if (BIT[p][s] !== 0) expectedBits[p][c.index] = 1;
        }
        expect(nonZero(token.bytes, token.bits, (i) => nodeZlib.tokenStatus(token.bytes, token.bits, i))).toEqual(expectedToken);
        for (const p of PURPOSES) {
          const bytes = bitstrings[p].bytes;
          expect(
            nonZero(bytes, 1, (i) => nodeZlib.bit(bytes, i)),
            `${p} list`,
          ).toEqual(expectedBits[p]);
        }

        const python = (jws: string, keySet: unknown, format: 'token' | 'bitstring', index: number, size: number, purpose?: Purpose) =>
          pythonStatus({ jws, keys: keySet, format, index, purpose, now: seconds(now) }, size);
        await Promise.all(
          here.map(async (c) => {
            // The token's key from the SD-JWT VC issuer metadata (iss + /.well-known/jwt-vc-issuer), the credentials' from the DID document.
            const [pyToken, pyRevocation, pySuspension] = await Promise.all([
              python(token.jws, keys.metadata.jwks, 'token', c.index, ENTRIES),
              python(bitstrings.revocation.jws, keys.didDocument, 'bitstring', c.index, ENTRIES, 'revocation'),
              python(bitstrings.suspension.jws, keys.didDocument, 'bitstring', c.index, ENTRIES, 'suspension'),
            ]);
            readings.set(`${c.format} ${c.id}`, {
              'token: @sd-jwt/jwt-status-list': token.library.getStatus(c.index),
              'token: Python zlib + jwcrypto': pyToken,
              'token: node:zlib': nodeZlib.tokenStatus(token.bytes, token.bits, c.index),
              'revocation: Python gzip + jwcrypto': pyRevocation,
              'revocation: node:zlib': nodeZlib.bit(bitstrings.revocation.bytes, c.index),
              'suspension: Python gzip + jwcrypto': pySuspension,
              'suspension: node:zlib': nodeZlib.bit(bitstrings.suspension.bytes, c.index),
            });
          }),
        );
      }

      for (const c of everyone) {
        const s = statusOf.get(c.id)!;
        expect(readings.get(`${c.format} ${c.id}`), `${c.format} credential, ${s}`).toEqual({
          'token: @sd-jwt/jwt-status-list': TOKEN_VALUE[s],
          'token: Python zlib + jwcrypto': TOKEN_VALUE[s],
          'token: node:zlib': TOKEN_VALUE[s],
          'revocation: Python gzip + jwcrypto': BIT.revocation[s],
          'revocation: node:zlib': BIT.revocation[s],
          'suspension: Python gzip + jwcrypto': BIT.suspension[s],
          'suspension: node:zlib': BIT.suspension[s],
        });
      }
    }

    async function change(c: Held, status: Status) {
      const res = await h.request('PATCH', `/v1/t/${tenant}/credentials/${encodeURIComponent(c.id)}/status`, {
        token: h.adminToken,
        body: { status, reason: `interop walk: ${status}` },
      });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      expect(JSON.parse(text)).toMatchObject({ status, changed: true });
      statusOf.set(c.id, status);
    }

    beforeAll(async () => {
      const res = await h.request('POST', '/v1/tenants', {
        token: h.adminToken,
        body: {
          id: tenant,
          name: `Status readers ${alg}`,
          key_policy: { algorithm: alg, rotationPeriodDays: 90, maxCredentialValidityDays: 365, retiredPublishDays: 400 },
        },
      });
      expect(res.status, await res.text()).toBe(201);
      walked = await issue();
      untouched = await issue();
      for (const c of [...walked, ...untouched]) statusOf.set(c.id, 'valid');
    });

    it('every credential names its attestation’s slot, and the lists it names are served at those URLs', () => {
      const everyone = [...walked, ...untouched];
      expect(new Set(everyone.map((c) => c.id)).size).toBe(6);
      // The formats of one attestation share its slot, so one change moves them all; another
      // attestation has a slot of its own, so that change cannot move its status.
      const slot = (c: Held) => `${c.urls.token}#${c.index}`;
      expect(new Set(walked.map(slot)).size).toBe(1);
      expect(new Set(untouched.map(slot)).size).toBe(1);
      expect(slot(walked[0]!)).not.toBe(slot(untouched[0]!));
      for (const c of everyone) {
        expect(c.urls.token.startsWith(`${issuerUrl}/status/`)).toBe(true);
        expect(c.index).toBeGreaterThanOrEqual(0);
        expect(c.index).toBeLessThan(ENTRIES);
      }
    });

    // 72 Python processes (six credentials × three lists × four readings): about 8 s on an idle machine, many
    // times that on a loaded two-core one. A bound for a hang, like the suite's (vitest.config.ts), not a pace.
    it(
      'valid → suspended → valid → revoked: every reader agrees at every step; the untouched stay valid',
      { timeout: 300_000 },
      async () => {
        await expectEveryReaderAgrees();
        for (const [step, status] of (['suspended', 'valid', 'revoked'] as const).entries()) {
          // A minute between changes, so each step's copy is told from the last by its iat.
          h.clock.set(new Date(h.clock().getTime() + 60_000));
          // Through a different format's record each step: every format of the attestation follows.
          await change(walked[step % walked.length]!, status);
          for (const c of walked) statusOf.set(c.id, status);
          await expectEveryReaderAgrees();
        }
      },
    );

    it('the Python reader refuses a list whose signature, type or key does not hold', async () => {
      const now = seconds(h.clock());
      const keys = await publishedKeys();
      const c = walked[0]!;
      const token = await (await get(pathOf(c.urls.token))).text();
      const revocation = await (await get(pathOf(c.urls.revocation))).text();
      const read = (input: Omit<Parameters<typeof readWithPython>[0], 'now' | 'index'>) =>
        readWithPython({ ...input, index: c.index, now });
      expect(await read({ jws: token, keys: keys.metadata.jwks, format: 'token' })).toMatchObject({ status: expect.any(Number) });

      // One character of the signed payload changed (sub's last letter), header and signature kept.
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json;
      const altered = [
        header,
        Buffer.from(JSON.stringify({ ...claims, sub: `${String(claims.sub)}x` })).toString('base64url'),
        signature,
      ].join('.');
      expect(await read({ jws: altered, keys: keys.metadata.jwks, format: 'token' })).toMatchObject({
        error: expect.stringMatching(/signature/i),
      });
      // Each format's typ is checked: a Bitstring credential is no token, nor a token a credential.
      expect(await read({ jws: revocation, keys: keys.didDocument, format: 'token' })).toMatchObject({
        error: expect.stringMatching(/typ/),
      });
      expect(await read({ jws: token, keys: keys.metadata.jwks, format: 'bitstring' })).toMatchObject({
        error: expect.stringMatching(/typ/),
      });
      // The wrong purpose is refused, and so is a key that is not the issuer's, even under the kid the header names.
      expect(await read({ jws: revocation, keys: keys.didDocument, format: 'bitstring', purpose: 'suspension' })).toMatchObject({
        error: expect.stringMatching(/statusPurpose/),
      });
      const impostor = (alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')).publicKey;
      const impostorJwk = { ...impostor.export({ format: 'jwk' }), alg, kid: decodeProtectedHeader(token).kid };
      expect(await read({ jws: token, keys: { keys: [impostorJwk] }, format: 'token' })).toMatchObject({
        error: expect.stringMatching(/signature/i),
      });
      expect(await read({ jws: token, keys: { keys: [] }, format: 'token' })).toMatchObject({ error: expect.stringMatching(/no key/) });
      // A copy read after its exp has expired, whatever its signature says.
      const exp = decodeJwt(token).exp!;
      expect(await readWithPython({ jws: token, keys: keys.metadata.jwks, format: 'token', index: c.index, now: exp })).toMatchObject({
        error: expect.stringMatching(/expired/),
      });
    });
  });
});
