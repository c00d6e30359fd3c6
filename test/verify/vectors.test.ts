/**
 * The specifications' own examples, verified by our code with the published example keys: every
 * SD-JWT of RFC 9901, every SD-JWT VC of draft-ietf-oauth-sd-jwt-vc (through the full credential
 * pipeline), the reference implementation's edge cases, and the Token Status List example token
 * (through the status check credentials use). Each must yield exactly the claims the spec editors'
 * implementation derives.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { decodeJwt, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import { VerificationFailure } from '../../src/verify/result.ts';
import { verifySdJwt } from '../../src/verify/sd-jwt.ts';
import { tokenStatus } from '../../src/verify/status.ts';

const here = new URL('./vectors/', import.meta.url);
const json = <T>(path: string, base = here): T => JSON.parse(readFileSync(new URL(path, base), 'utf8')) as T;

interface Vector {
  index: number;
  kind: 'jwt' | 'sd-jwt';
  token: string;
  header: Record<string, unknown>;
  kb?: { aud: string; nonce: string } | Record<string, never>;
  expected_verified_claims?: Record<string, unknown>;
}

/** A key-binding JWT's own iat, so its freshness is judged at the moment the example was made. */
function presentedAt(token: string): Date {
  const kb = token.split('~').at(-1)!;
  return new Date(((kb ? (decodeJwt(kb).iat as number) : 1_683_000_000) + 1) * 1000);
}
const expectation = (v: Vector) => (v.kb && 'aud' in v.kb ? { keyBinding: { audience: v.kb.aud, nonce: v.kb.nonce } } : {});

describe.each(['sd-jwt', 'sd-jwt-vc'])('the %s specification’s examples', (spec) => {
  const vectors = json<Vector[]>(`${spec}/vectors.json`);
  const [issuerKey] = json<{ keys: JWK[] }>(`${spec}/issuer.jwks.json`).keys;

  it.each(vectors.filter((v) => v.kind === 'sd-jwt').map((v) => [v.index, v] as const))(
    'example %i verifies to exactly the expected claims',
    async (_i, v) => {
      const claims = await verifySdJwt(v.token, issuerKey!, { ...expectation(v), now: presentedAt(v.token), skewSeconds: 0 });
      expect(claims).toEqual(v.expected_verified_claims);
    },
  );

  it('refuses each example once a byte of its signature changes', async () => {
    for (const v of vectors.filter((x) => x.kind === 'sd-jwt')) {
      const [jws, ...rest] = v.token.split('~');
      const flipped = `${jws!.slice(0, -2)}${jws!.endsWith('AA') ? 'BB' : 'AA'}`;
      await expect(
        verifySdJwt([flipped, ...rest].join('~'), issuerKey!, { now: presentedAt(v.token), skewSeconds: 0 }),
      ).rejects.toMatchObject({
        code: 'bad_signature',
      });
    }
  });
});

describe('the SD-JWT VC examples through the credential pipeline', () => {
  const vectors = json<Vector[]>('sd-jwt-vc/vectors.json');
  const [issuerKey] = json<{ keys: JWK[] }>('sd-jwt-vc/issuer.jwks.json').keys;
  it.each(vectors.map((v) => [v.index, v] as const))('example %i: verified, with the expected claims', async (_i, v) => {
    const iss = decodeJwt(v.token.split('~')[0]!).iss as string;
    const result = await verifyCredential(
      v.token,
      {
        // The example key, as the example issuer would publish it: whatever kid the header names.
        keys: {
          fromDid: () => Promise.reject(new VerificationFailure('issuer_key', 'unresolvable_issuer', 'no DIDs here')),
          fromIssuerMetadata: async (url) => {
            expect(url).toBe(iss);
            return { jwk: issuerKey! };
          },
        },
        statusLists: { fetch: () => Promise.reject(new Error('no status list in these examples')) },
        isTrusted: (issuer) => issuer === iss,
        now: presentedAt(v.token),
        skewSeconds: 0,
      },
      expectation(v),
    );
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.verified).toBe(true);
    expect(result.claims).toEqual(v.expected_verified_claims);
  });
});

describe('the SD-JWT reference implementation’s edge cases', () => {
  const base = new URL('generated/', here);
  const [issuerKey] = json<{ keys: JWK[] }>('issuer.jwks.json', base).keys;
  const cases = readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/sd_jwt_presentation.txt`, base)))
    .map((d) => d.name);

  it('has the cases it was written for', () => {
    expect(cases).toEqual(expect.arrayContaining(['array_recursive_sd', 'key_binding', 'no_sd', 'recursions', 'array_of_nulls']));
  });

  it.each(cases)('%s verifies to exactly the expected claims', async (name) => {
    const token = readFileSync(new URL(`${name}/sd_jwt_presentation.txt`, base), 'utf8').trim();
    const kbPath = new URL(`${name}/kb_jwt_payload.json`, base);
    const kb = existsSync(kbPath) ? json<{ aud: string; nonce: string }>(`${name}/kb_jwt_payload.json`, base) : undefined;
    const claims = await verifySdJwt(token, issuerKey!, {
      ...(kb ? { keyBinding: { audience: kb.aud, nonce: kb.nonce } } : {}),
      now: presentedAt(token),
      skewSeconds: 0,
    });
    expect(claims).toEqual(json(`${name}/verified_contents.json`, base));
  });
});

describe('the Token Status List example token', () => {
  const vector = json<{
    token: string;
    issuer_public_jwk: JWK;
    payload: { iat: number; iss: string; sub: string };
    statuses: Record<string, number>;
  }>('../../status/vectors/status_list_token_jwt.json');

  it('reads every status of the example through the check credentials use', async () => {
    const deps = {
      source: { fetch: async (url: string) => (url === vector.payload.sub ? vector.token : Promise.reject(new Error(url))) },
      keys: {
        fromDid: () => Promise.reject(new Error('no DIDs here')),
        fromIssuerMetadata: async (url: string, kid: string) => {
          expect([url, kid]).toEqual([vector.payload.iss, vector.issuer_public_jwk.kid]);
          return { jwk: vector.issuer_public_jwk };
        },
      },
      now: new Date((vector.payload.iat + 1) * 1000),
      skewSeconds: 0,
    };
    for (const [idx, value] of Object.entries(vector.statuses)) {
      const read = await tokenStatus({ status_list: { idx: Number(idx), uri: vector.payload.sub } }, vector.payload.iss, deps);
      expect(read.value, `index ${idx}`).toBe(value === 1 ? 'revoked' : 'valid');
    }
  });
});
