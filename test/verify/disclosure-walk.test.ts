/**
 * The SD-JWT disclosure rules, step by step as RFC 9901 §7.1 lists them, on small hand-made
 * SD-JWTs. Each case goes both ways the service walks disclosures: verification (the claims a
 * verifier is shown) and presentation (what a holder may reveal, and what a selection keeps).
 * Digests in a payload are issuer-signed, so every structural fault below is the issuer's; a
 * presentation of it could never verify, and the holder is told so with the verifier's code.
 * Disclosures nothing references are the holder's to drop: verification refuses them as
 * tampering, presentation leaves them out.
 */
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH } from '../../src/verify/json-limits.ts';
import { disclosablePointers, selectDisclosures } from '../../src/verify/present.ts';
import { applyDisclosures } from '../../src/verify/sd-jwt.ts';

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const disclosure = (...parts: unknown[]) => encode(parts);
const digest = async (encoded: string) =>
  base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(encoded))));
/** Only presentation reads this form, and it checks no signature. */
const compact = (payload: unknown, disclosures: readonly string[]) =>
  `${[`${encode({ alg: 'ES256', typ: 'dc+sd-jwt' })}.${encode(payload)}.c2lnbmF0dXJl`, ...disclosures].join('~')}~`;

/** The code a call fails with, or "ok". */
async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? `threw ${String(e)}`;
  }
}

/** The same input through verification and through presentation. */
async function bothWays(payload: Record<string, unknown>, disclosures: readonly string[]) {
  return {
    verify: await codeOf(() => applyDisclosures(payload, disclosures)),
    present: await codeOf(() => disclosablePointers(compact(payload, disclosures))),
  };
}

describe('SD-JWT disclosures, by the steps of RFC 9901 §7.1', () => {
  it('step 3: puts each disclosed claim and array element where its digest was, recursively, and drops the rest', async () => {
    const street = disclosure('s1', 'street', 'Main St 1');
    const address = disclosure('s2', 'address', { locality: 'Berlin', _sd: [await digest(street), 'decoy-digest-1'] });
    const given = disclosure('s3', 'given_name', 'Erika');
    const de = disclosure('s4', 'DE');
    const fr = disclosure('s5', 'FR');
    const nested = disclosure('s6', ['inner', { '...': await digest(fr) }]);
    const slashed = disclosure('s7', 'a/b~c', true);
    const payload = {
      iss: 'https://issuer.example',
      _sd_alg: 'sha-256',
      _sd: [await digest(given), await digest(address), 'decoy-digest-2', await digest(slashed)],
      nationalities: [{ '...': await digest(de) }, { '...': 'undisclosed-or-decoy' }, 'plain', { '...': await digest(nested) }],
      // A lookalike with another member is a plain object, not an array element digest.
      lookalike: [{ '...': await digest(de), also: 1 }],
    };
    const all = [street, address, given, de, fr, nested, slashed];

    expect(await applyDisclosures(payload, all)).toEqual({
      iss: 'https://issuer.example',
      nationalities: ['DE', 'plain', ['inner', 'FR']],
      lookalike: [{ '...': await digest(de), also: 1 }],
      given_name: 'Erika',
      address: { locality: 'Berlin', street: 'Main St 1' },
      'a/b~c': true,
    });
    // Pointers name array elements by their place in the signed array, and escape "/" and "~".
    expect(await disclosablePointers(compact(payload, all))).toEqual([
      '/nationalities/0',
      '/nationalities/3',
      '/nationalities/3/1',
      '/given_name',
      '/address',
      '/address/street',
      '/a~1b~0c',
    ]);

    // Revealing a nested claim brings what encloses it; revealing a claim brings what it contains.
    const kept = async (reveal: string[]) => (await selectDisclosures(compact(payload, all), reveal)).split('~').slice(1, -1);
    expect(await kept(['/address/street'])).toEqual([address, street]);
    expect(await kept(['/nationalities/3'])).toEqual([nested, fr]);
    expect(await applyDisclosures(payload, await kept(['/address']))).toEqual({
      iss: 'https://issuer.example',
      nationalities: ['plain'],
      lookalike: [{ '...': await digest(de), also: 1 }],
      address: { locality: 'Berlin', street: 'Main St 1' },
    });
    expect(await codeOf(() => selectDisclosures(compact(payload, all), ['/iss']))).toBe('not_disclosable');
  });

  it('step 1: digests are SHA-256 (the default), and another _sd_alg is refused both ways', async () => {
    const given = disclosure('s', 'given_name', 'Erika');
    expect(await applyDisclosures({ _sd: [await digest(given)] }, [given])).toEqual({ given_name: 'Erika' });
    expect(await bothWays({ _sd_alg: 'sha-512', _sd: [await digest(given)] }, [given])).toEqual({
      verify: 'unsupported_digest',
      present: 'unsupported_digest',
    });
  });

  it('step 2: a disclosure that is not a [salt, value] or [salt, name, value] array of JSON is refused', async () => {
    const deep = base64url.encode(`["salt","n",${'['.repeat(40)}${']'.repeat(40)}]`);
    const bad = [
      base64url.encode('not json'),
      base64url.encode(new Uint8Array([0xff, 0xfe])),
      encode({ salt: 's', value: 1 }),
      encode(['only-salt']),
      encode(['s', 'n', 'v', 'extra']),
      encode([1, 'n', 'v']),
      encode(['s', 7, 'v']),
      deep,
    ];
    for (const d of bad) {
      const referenced = { _sd: [await digest(d)] };
      expect(await bothWays(referenced, [d]), Buffer.from(d, 'base64url').toString().slice(0, 40)).toEqual({
        verify: 'malformed_disclosure',
        present: 'malformed_disclosure',
      });
      // Presented and referenced by nothing: still refused by a verifier, left out by a presentation.
      expect(await codeOf(() => applyDisclosures({}, [d]))).toBe('malformed_disclosure');
      expect(await disclosablePointers(compact({}, [d]))).toEqual([]);
    }
  });

  it('step 3: a named disclosure where an array element belongs, or an element disclosure in _sd, is refused', async () => {
    const named = disclosure('s', 'given_name', 'Erika');
    const element = disclosure('s', 'DE');
    expect(await bothWays({ nationalities: [{ '...': await digest(named) }] }, [named])).toEqual({
      verify: 'malformed_disclosure',
      present: 'malformed_disclosure',
    });
    expect(await bothWays({ _sd: [await digest(element)] }, [element])).toEqual({
      verify: 'malformed_disclosure',
      present: 'malformed_disclosure',
    });
  });

  it('step 3: the reserved names _sd and ... cannot be disclosed', async () => {
    for (const name of ['_sd', '...']) {
      const d = disclosure('s', name, ['x']);
      expect(await bothWays({ _sd: [await digest(d)] }, [d]), name).toEqual({
        verify: 'malformed_disclosure',
        present: 'malformed_disclosure',
      });
    }
  });

  it('step 3: _sd must be an array of digests', async () => {
    for (const sd of ['abc', [1], { a: 'b' }, null])
      expect(await bothWays({ _sd: sd }, []), JSON.stringify(sd)).toEqual({ verify: 'malformed_payload', present: 'malformed_payload' });
  });

  it('step 3: a disclosed claim whose name is already present at its level is refused', async () => {
    const given = disclosure('s1', 'given_name', 'Erika');
    const again = disclosure('s2', 'given_name', 'Max');
    expect(await bothWays({ given_name: 'Max', _sd: [await digest(given)] }, [given])).toEqual({
      verify: 'claim_collision',
      present: 'claim_collision',
    });
    expect(await bothWays({ _sd: [await digest(given), await digest(again)] }, [given, again])).toEqual({
      verify: 'claim_collision',
      present: 'claim_collision',
    });
  });

  it('step 4: a digest found more than once is refused, whether or not its disclosure is presented', async () => {
    const given = disclosure('s', 'given_name', 'Erika');
    const de = disclosure('s', 'DE');
    const d = await digest(given);
    const twice = [
      { _sd: [d], again: { _sd: [d] } },
      { _sd: [d, d] },
      { nationalities: [{ '...': await digest(de) }, { '...': await digest(de) }] },
      { nationalities: [{ '...': await digest(de) }], also: [{ '...': await digest(de) }] },
    ];
    for (const payload of twice) {
      expect(await bothWays(payload, [given, de]), JSON.stringify(payload)).toEqual({
        verify: 'digest_referenced_twice',
        present: 'digest_referenced_twice',
      });
    }
    // The digest of a disclosure the holder withheld appears twice: the signed payload itself is faulty.
    for (const payload of [{ _sd: ['same-digest', 'same-digest'] }, { a: { _sd: ['same-digest'] }, b: [{ '...': 'same-digest' }] }])
      expect(await bothWays(payload, []), JSON.stringify(payload)).toEqual({
        verify: 'digest_referenced_twice',
        present: 'digest_referenced_twice',
      });
    // A disclosure whose value repeats a digest already met.
    const loop = disclosure('s', 'loop', { _sd: ['seen-digest'] });
    expect(await bothWays({ _sd: ['seen-digest', await digest(loop)] }, [loop])).toEqual({
      verify: 'digest_referenced_twice',
      present: 'digest_referenced_twice',
    });
  });

  it('step 5: a disclosure nothing references, or one presented twice, is refused by a verifier and left out of a presentation', async () => {
    const given = disclosure('s1', 'given_name', 'Erika');
    const foreign = disclosure('s2', 'admin', true);
    const payload = { _sd: [await digest(given)] };
    expect(await codeOf(() => applyDisclosures(payload, [given, foreign]))).toBe('unreferenced_disclosure');
    expect(await codeOf(() => applyDisclosures(payload, [given, given]))).toBe('duplicate_disclosure');
    for (const presented of [
      [given, foreign],
      [given, given],
    ]) {
      expect(await disclosablePointers(compact(payload, presented))).toEqual(['/given_name']);
      expect(await selectDisclosures(compact(payload, presented), ['/given_name'])).toBe(compact(payload, [given]));
    }
  });

  it('keeps a claim named __proto__ as a claim of its own, never as the prototype of the claims', async () => {
    const hidden = disclosure('s', '__proto__', { admin: true });
    const payload = JSON.parse(`{"plain":{"__proto__":{"status":"x"}},"_sd":["${await digest(hidden)}"]}`) as Record<string, unknown>;
    const claims = await applyDisclosures(payload, [hidden]);
    expect(Object.getPrototypeOf(claims)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(claims.plain)).toBe(Object.prototype);
    expect(JSON.stringify(claims)).toBe('{"plain":{"__proto__":{"status":"x"}},"__proto__":{"admin":true}}');
    expect('admin' in claims).toBe(false);
    expect(await disclosablePointers(compact(payload, [hidden]))).toEqual(['/__proto__']);
  });

  it('refuses disclosures nested inside each other deeper than any JSON the verifier reads, rather than overflowing', async () => {
    /** n disclosures, each holding the digest of the next: the claims they reveal nest n deep. */
    const chain = async (n: number) => {
      let inner = disclosure('s', 'n', 'leaf');
      const all = [inner];
      for (let i = 1; i < n; i++) {
        inner = disclosure('s', 'n', { _sd: [await digest(inner)] });
        all.push(inner);
      }
      return { payload: { _sd: [await digest(inner)] }, all };
    };
    const fits = await chain(MAX_JSON_DEPTH);
    expect(await bothWays(fits.payload, fits.all)).toEqual({ verify: 'ok', present: 'ok' });
    expect(jsonDepth(await applyDisclosures(fits.payload, fits.all))).toBe(MAX_JSON_DEPTH);
    for (const n of [MAX_JSON_DEPTH + 1, 2_900]) {
      const { payload, all } = await chain(n);
      expect(await bothWays(payload, all), `${n} nested`).toEqual({ verify: 'malformed_disclosure', present: 'malformed_disclosure' });
    }
  });

  it('refuses, rather than overflows on, an SD-JWT nested too deep to walk', async () => {
    const deep = `{"a":${'['.repeat(90_000)}${']'.repeat(90_000)}}`;
    const sdJwt = `${encode({ alg: 'ES256', typ: 'dc+sd-jwt' })}.${base64url.encode(deep)}.c2lnbmF0dXJl~`;
    expect(await codeOf(() => disclosablePointers(sdJwt))).toBe('too_deep');
    expect(await codeOf(() => selectDisclosures(sdJwt, []))).toBe('too_deep');
  });
});
