/**
 * SD-JWT disclosure walking (issue 12, point 6): our walker beside @sd-jwt 0.19.0 (reached
 * through the declared @sd-jwt/sd-jwt-vc, whose instance exposes the core's getClaims,
 * presentableKeys and present) on one credential shaped like ours: 12 control results, each
 * selectively disclosable, with 28 evidence items disclosable inside them (40 disclosures).
 * Both sides hash with the same WebCrypto SHA-256. A second table runs the RFC 9901 §7.1
 * rules on small hand-made SD-JWTs and says which side refuses each.
 *
 * node --import tsx bench/sd-jwt-walk.bench.ts
 */
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import type { DisclosureFrame, PresentationFrame } from '@sd-jwt/types';
import { base64url } from 'jose';
import { disclosablePointers, selectDisclosures } from '../src/verify/present.ts';
import { applyDisclosures } from '../src/verify/sd-jwt.ts';
import { table } from './measure.ts';

const sha256 = async (data: string | ArrayBuffer) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? new TextEncoder().encode(data) : data));
const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
const library = new SDJwtVcInstance({
  hasher: sha256,
  hashAlg: 'sha-256',
  signAlg: 'ES256',
  signer: async (input) =>
    base64url.encode(
      new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new TextEncoder().encode(input))),
    ),
  saltGenerator: () => base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
});

// Control ids without a dot here, so that the library's dotted paths name each claim once (see the rules table).
const controls = Array.from({ length: 12 }, (_, i) => `control-${i}`);
const evidenceCount = (i: number) => (i < 4 ? 3 : 2); // 4×3 + 8×2 = 28 evidence items
const results = Object.fromEntries(
  controls.map((c, i) => [
    c,
    {
      status: 'pass',
      note: `checked on the staging environment, run ${i}`,
      evidence: Array.from({ length: evidenceCount(i) }, (_, e) => ({ kind: 'url', ref: `https://ci.example/${c}/${e}` })),
    },
  ]),
);
const payload = {
  iss: 'https://issuer.bench/t/acme',
  vct: 'https://issuer.bench/vct/launch-readiness',
  iat: 1_780_000_000,
  subject: { organisation: 'Acme', product: 'Rockets' },
  verdict: { stage: 'ga', strict_gate_passed: true },
  results,
};
const frame = {
  results: {
    _sd: controls,
    ...Object.fromEntries(controls.map((c, i) => [c, { evidence: { _sd: Array.from({ length: evidenceCount(i) }, (_, e) => e) } }])),
  },
} as unknown as DisclosureFrame<typeof payload>;
const credential = await library.issue(payload, frame, { header: { typ: 'dc+sd-jwt' } });
const [jws, ...rest] = credential.split('~');
const disclosures = rest.slice(0, -1);
const signedPayload = JSON.parse(new TextDecoder().decode(base64url.decode(jws!.split('.')[1]!))) as Record<string, unknown>;
if (disclosures.length !== 40) throw new Error(`expected 40 disclosures, got ${disclosures.length}`);

// Three results revealed, each with everything inside it: the same selection both ways.
const chosen = controls.slice(0, 3);
const pointers = chosen.map((c) => `/results/${c}`);
const presentFrame = {
  results: Object.fromEntries(chosen.map((c) => [c, { evidence: Object.fromEntries(results[c]!.evidence.map((_, e) => [e, true])) }])),
} as unknown as PresentationFrame<typeof payload>;
const ours = await selectDisclosures(credential, pointers);
const theirs = await library.present(credential, presentFrame);
const kept = (s: string) => s.split('~').slice(1, -1).sort().join('~');
if (kept(ours) !== kept(theirs)) throw new Error('the two presentations keep different disclosures: the comparison would be unfair');
if (JSON.stringify(await applyDisclosures(signedPayload, disclosures)) !== JSON.stringify(await library.getClaims(credential)))
  throw new Error('the two walkers disclose different claims');

interface Measured {
  perSecond: number;
  /** Process CPU per operation (main thread and the threads WebCrypto hashes on): what a busy server pays. */
  cpuMicros: number;
}

/** Runs `fn` for about `ms` after a short warm-up: wall-clock rate and CPU per operation. */
async function measure(fn: () => Promise<unknown>, ms: number): Promise<Measured> {
  for (let i = 0; i < 20; i++) await fn();
  let n = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (performance.now() < start + ms) {
    await fn();
    n++;
  }
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { perSecond: (n * 1000) / wall, cpuMicros: (used.user + used.system) / n };
}

/**
 * Each pair is measured in alternation, five rounds of a second each, and the medians kept: on
 * this shared two-core machine a single run of either side swings by a factor of two.
 */
async function alternate(ours: () => Promise<unknown>, theirs: () => Promise<unknown>): Promise<[Measured, Measured]> {
  const a: Measured[] = [];
  const b: Measured[] = [];
  for (let round = 0; round < 5; round++) {
    a.push(await measure(ours, 1_000));
    b.push(await measure(theirs, 1_000));
  }
  const median = (xs: Measured[], k: keyof Measured) => xs.map((x) => x[k]).sort((x, y) => x - y)[2]!;
  return [
    { perSecond: median(a, 'perSecond'), cpuMicros: median(a, 'cpuMicros') },
    { perSecond: median(b, 'perSecond'), cpuMicros: median(b, 'cpuMicros') },
  ];
}

const applyOurs = () => applyDisclosures(signedPayload, disclosures);
const pairs: [string, () => Promise<unknown>, string, () => Promise<unknown>][] = [
  ['verify: apply the 40 disclosures, ours', applyOurs, '@sd-jwt getClaims', () => library.getClaims(credential)],
  [
    'present: list what is disclosable, ours',
    () => disclosablePointers(credential),
    '@sd-jwt presentableKeys',
    () => library.presentableKeys(credential),
  ],
  [
    'present: keep 3 results and their evidence, ours',
    () => selectDisclosures(credential, pointers),
    '@sd-jwt present',
    () => library.present(credential, presentFrame),
  ],
  // The floor: what hashing alone costs, done the two ways WebCrypto allows.
  [
    'verify: apply the 40 disclosures, ours',
    applyOurs,
    'the 40 digests alone, one by one',
    async () => {
      for (const d of disclosures) await sha256(d);
    },
  ],
  [
    'verify: apply the 40 disclosures, ours',
    applyOurs,
    'the 40 digests alone, all at once',
    () => Promise.all(disclosures.map((d) => sha256(d))),
  ],
];
const rows: { name: string; ours: Measured; baseline: Measured; baselineName: string }[] = [];
for (const [name, ours, baselineName, theirs] of pairs) {
  const [a, b] = await alternate(ours, theirs);
  rows.push({ name, ours: a, baseline: b, baselineName });
}
console.log('## SD-JWT disclosure walking, 40 disclosures (ratio > 1: ours is faster; medians of 5 alternating rounds)\n');
console.log(
  table(rows.map((r) => ({ name: r.name, perSecond: r.ours.perSecond, baseline: r.baseline.perSecond, baselineName: r.baselineName }))),
);
console.log('\n| measurement | CPU µs per operation | baseline (same run) | ratio (baseline / ours) |\n|---|---:|---|---:|');
for (const r of rows)
  console.log(
    `| ${r.name} | ${r.ours.cpuMicros.toFixed(0)} | ${r.baselineName}: ${r.baseline.cpuMicros.toFixed(0)} µs | ${(r.baseline.cpuMicros / r.ours.cpuMicros).toFixed(3)} |`,
  );

// ---- What each side refuses ------------------------------------------------------------------
const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const digest = async (encoded: string) => base64url.encode(await sha256(encoded));
const jwt = (body: unknown) => `${encode({ alg: 'none', typ: 'dc+sd-jwt' })}.${encode(body)}.`;

type Case = { rule: string; payload: Record<string, unknown>; disclosures: string[] };
async function cases(): Promise<Case[]> {
  const named = encode(['salt-named', 'given_name', 'Erika']);
  const element = encode(['salt-element', 'DE']);
  const dotted = encode(['salt-dotted', 'a.b', 'the claim named a.b']);
  const inner = encode(['salt-inner', 'b', 'the claim b inside a']);
  const outer = encode(['salt-outer', 'a', { _sd: [await digest(inner)] }]);
  const proto = encode(['salt-proto', '__proto__', { admin: true }]);
  const d = await digest(named);
  return [
    { rule: 'a disclosure presented twice', payload: { _sd: [d] }, disclosures: [named, named] },
    { rule: 'a disclosure no digest references', payload: { _sd: [] }, disclosures: [named] },
    { rule: 'one disclosure referenced from two places', payload: { _sd: [d], again: { _sd: [d] } }, disclosures: [named] },
    { rule: 'a withheld digest found twice in the payload', payload: { _sd: ['same-digest', 'same-digest'] }, disclosures: [] },
    { rule: 'a disclosed name already present', payload: { given_name: 'Max', _sd: [d] }, disclosures: [named] },
    { rule: 'an array-element disclosure in _sd', payload: { _sd: [await digest(element)] }, disclosures: [element] },
    { rule: 'a named disclosure as an array element', payload: { nat: [{ '...': d }] }, disclosures: [named] },
    {
      rule: 'the reserved name _sd disclosed',
      payload: { _sd: [await digest(encode(['s', '_sd', ['x']]))] },
      disclosures: [encode(['s', '_sd', ['x']])],
    },
    { rule: '_sd that is not an array of digests', payload: { _sd: 'abc' }, disclosures: [] },
    { rule: 'an _sd_alg other than sha-256', payload: { _sd_alg: 'sha-512', _sd: [d] }, disclosures: [named] },
    {
      rule: 'a claim named __proto__ kept as a claim',
      payload: { _sd: [await digest(proto)] },
      disclosures: [proto],
    },
    {
      rule: 'claim "a.b" and claim b inside a told apart',
      payload: { _sd: [await digest(dotted), await digest(outer)] },
      disclosures: [dotted, outer, inner],
    },
  ];
}

/** "refused" or "accepted": what a verifier learns from each side. */
async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    const claims = (await run()) as Record<string, unknown>;
    return `accepted ${JSON.stringify(claims).slice(0, 60)}`;
  } catch {
    return 'refused';
  }
}

const lines = ['| RFC 9901 rule (§7.1, §4.2) | launchproof | @sd-jwt 0.19.0 getClaims / presentableKeys |', '|---|---|---|'];
for (const c of await cases()) {
  const compact = `${[jwt(c.payload), ...c.disclosures].join('~')}~`;
  if (c.rule.startsWith('claim "a.b"')) {
    // Presentation: can the holder name each of the three claims?
    const ourPointers = await outcome(() => disclosablePointers(compact));
    const theirKeys = await outcome(() => library.presentableKeys(compact));
    lines.push(`| ${c.rule} | ${ourPointers} | ${theirKeys} |`);
    continue;
  }
  if (c.rule.includes('__proto__')) {
    const own = async (run: () => Promise<unknown>) => {
      try {
        const claims = (await run()) as object;
        return Object.hasOwn(claims, '__proto__')
          ? 'kept as an own claim'
          : `lost (prototype set: ${Object.getPrototypeOf(claims) !== Object.prototype})`;
      } catch {
        return 'refused';
      }
    };
    lines.push(
      `| ${c.rule} | ${await own(() => applyDisclosures(c.payload, c.disclosures))} | ${await own(() => library.getClaims(compact))} |`,
    );
    continue;
  }
  lines.push(
    `| ${c.rule} | ${await outcome(() => applyDisclosures(c.payload, c.disclosures))} | ${await outcome(() => library.getClaims(compact))} |`,
  );
}
console.log('\n## Which rules each side enforces\n');
console.log(lines.join('\n'));
