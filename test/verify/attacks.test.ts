/**
 * Hostile input to the verifier, by the thousand: random bytes, random mutations of real
 * credentials of every format, structurally hostile JSON. Every case must end in a report with
 * `verified: false` and a failed check (or, over HTTP, a 200 report or a 4xx problem): never an
 * exception, a 5xx, or a mutated credential that still verifies.
 */
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import { applyDisclosures } from '../../src/verify/sd-jwt.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { prng } from '../support/prng.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { harnessVerification } from '../support/verify-env.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~';

describe('the verifier under attack', () => {
  let t: TestDatabase;
  let h: Harness;
  let credentials: { format: string; credential: string }[];
  const env = () => harnessVerification(h);
  let cases = 0;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, { env: { VERIFY_RATE_LIMIT_PER_MINUTE: '100000' } });
    await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } });
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] },
    });
    credentials = ((await res.json()) as { credentials: { format: string; credential: string }[] }).credentials;
    for (const c of credentials) expect((await verifyCredential(c.credential, env())).verified, c.format).toBe(true);
  });
  afterAll(() => {
    // The closing note quotes this count.
    console.log(`attack cases run: ${cases}`);
    return t.dispose();
  });

  /** Decoded bytes of each dot- and tilde-separated segment: two strings equal here carry the same signed content. */
  const meaning = (s: string) =>
    s.split('~').map((part) =>
      part.split('.').map((seg) => {
        try {
          return Array.from(base64url.decode(seg)).join(',');
        } catch {
          return `!${seg}`;
        }
      }),
    );

  it('turns 2,000 strings of random bytes into a failed report, never a throw', async () => {
    const random = prng(0xbad);
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 400);
      const input =
        i % 2 === 0
          ? Array.from({ length }, () => String.fromCharCode(Math.floor(random() * 0x2ff))).join('')
          : Array.from({ length }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('');
      const r = await verifyCredential(input, env());
      cases++;
      expect(r.verified).toBe(false);
      expect(r.checks.at(-1)!.ok).toBe(false);
    }
  });

  it('refuses 3,000 random mutations of real credentials of every format, unless a mutation left the signed bytes unchanged', async () => {
    const random = prng(0x5eed);
    let unchanged = 0;
    for (let i = 0; i < 3000; i++) {
      const original = credentials[i % credentials.length]!.credential;
      const chars = original.split('');
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * chars.length);
        const kind = random();
        if (kind < 0.6) chars[at] = ALPHABET[Math.floor(random() * ALPHABET.length)]!;
        else if (kind < 0.8) chars.splice(at, 1);
        else chars.splice(at, 0, ALPHABET[Math.floor(random() * ALPHABET.length)]!);
      }
      const mutated = chars.join('');
      const r = await verifyCredential(mutated, env());
      cases++;
      if (r.verified) {
        // base64url's last character can carry unused bits: a change there decodes to the same bytes.
        expect(meaning(mutated), `a mutation that verifies must not change what was signed: ${mutated.slice(0, 80)}`).toEqual(
          meaning(original),
        );
        unchanged++;
      } else {
        expect(r.checks.at(-1)!.ok).toBe(false);
      }
    }
    expect(unchanged).toBeLessThan(300);
  });

  it('refuses structurally hostile JSON: deep nesting, huge input, wrong types, prototype keys', async () => {
    const jwt = (header: unknown, payload: unknown) =>
      `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.AAAA`;
    // Built as text: a value nested this deep cannot even be JSON.stringify'd.
    const deepText = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const segment = (text: string) => base64url.encode(text);
    const deep = (n: number) => JSON.parse(deepText(n)) as unknown;
    // A VC Data Model 2.0 payload, so each case below reaches the check it is aimed at.
    const V2 = { '@context': ['https://www.w3.org/ns/credentials/v2'] };
    const hostile: [unknown, string][] = [
      [`${segment('{"alg":"ES256","typ":"vc+jwt"}')}.${segment(`{"a":${deepText(50_000)}}`)}.AAAA`, 'format:too_deep'],
      [jwt({ alg: 'ES256', typ: 'vc+jwt', x: deep(100) }, {}), 'format:too_deep'],
      ['x'.repeat(300_000), 'format:too_large'],
      [jwt([], {}), 'format:malformed'],
      [jwt({ alg: 'ES256', typ: 'vc+jwt' }, 'a string'), 'format:malformed'],
      [
        jwt({ alg: 'ES256', typ: 'vc+jwt' }, { ...V2, type: ['VerifiableCredential'], issuer: { __proto__: { id: 'did:web:evil' } } }),
        'format:no_issuer',
      ],
      [jwt({ alg: 'ES256', typ: 'vc+jwt' }, { ...V2, type: ['VerifiableCredential'], issuer: 42 }), 'format:no_issuer'],
      [
        jwt({ alg: ['ES256'], typ: 'vc+jwt' }, { ...V2, type: ['VerifiableCredential'], issuer: 'did:web:x' }),
        'algorithm:algorithm_not_allowed',
      ],
      [
        jwt({ alg: 'RS256', typ: 'vc+jwt' }, { ...V2, type: ['VerifiableCredential'], issuer: 'did:web:x' }),
        'algorithm:algorithm_not_allowed',
      ],
      [
        jwt({ alg: 'ES256', typ: 'vc+jwt', crit: ['b64'], b64: false }, { ...V2, type: ['VerifiableCredential'], issuer: 'did:web:x' }),
        'algorithm:unsupported_critical_header',
      ],
      [
        jwt(
          { alg: 'ES256', typ: 'vc+jwt', x5u: 'https://attacker.example/cert' },
          { ...V2, type: ['VerifiableCredential'], issuer: 'did:web:x' },
        ),
        'algorithm:key_in_header',
      ],
      [
        {
          '@context': 'https://www.w3.org/ns/credentials/v2',
          type: 'EnvelopedVerifiableCredential',
          id: 'data:application/vc+jwt;base64,AAAA',
        },
        'format:unsupported_format',
      ],
      [
        { '@context': 'https://www.w3.org/ns/credentials/v2', type: 'EnvelopedVerifiableCredential', id: 'https://attacker.example/vc' },
        'format:unsupported_format',
      ],
      [{ type: 'VerifiableCredential', issuer: 'did:web:x' }, 'format:not_a_credential'],
    ];
    // A disclosure is only opened once the signature holds, so its depth is checked on its own.
    await expect(applyDisclosures({ _sd: [] }, [base64url.encode(`["salt","n",${deepText(100)}]`)])).rejects.toMatchObject({
      code: 'malformed_disclosure',
    });
    cases++;
    for (const [input, expected] of hostile) {
      const r = await verifyCredential(input, env());
      cases++;
      expect(r.checks.filter((c) => !c.ok).map((c) => `${c.name}:${c.code}`)).toEqual([expected]);
    }
  });

  it('answers 1,000 random request bodies on POST /v1/verify with a 200 report or a 4xx problem, never a 5xx', async () => {
    const random = prng(0xfeed);
    const value = (depth: number): unknown => {
      const k = random();
      if (depth > 3 || k < 0.3)
        return Array.from({ length: Math.floor(random() * 30) }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('');
      if (k < 0.4) return Math.floor(random() * 1e6) - 5e5;
      if (k < 0.5) return random() < 0.5 ? null : true;
      if (k < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, (_, i) => [
          ['credential', 'key_binding', 'type', 'id', `k${i}`][Math.floor(random() * 5)]!,
          value(depth + 1),
        ]),
      );
    };
    const failures: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const body = i % 3 === 0 ? { credential: value(0) } : value(0);
      const res = await h.request('POST', '/v1/verify', { body: JSON.stringify(body) });
      cases++;
      const type = res.headers.get('content-type') ?? '';
      if (
        res.status >= 500 ||
        (res.status >= 400 && !type.startsWith('application/problem+json')) ||
        (res.status === 200 && ((await res.json()) as { verified: boolean }).verified)
      ) {
        failures.push(`${res.status} ${JSON.stringify(body).slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
