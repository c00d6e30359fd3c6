/**
 * Status-list benchmark: what re-publishing a list costs (the encode that runs after every
 * revocation or suspension) and what reading one back costs, each beside the raw Compression
 * Stream of the same format over the same, already packed bytes, measured in the same run.
 * The ratio is our overhead over zlib itself (packing, bit reordering, base64url, checks).
 * The reference library's figure for a 1,000,000-entry re-publication is 200 ms.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import { prng } from '../test/support/prng.ts';
import { StatusList } from '../src/status/bitstring.ts';
import { decodeBitstringStatusList, decodeTokenStatusList, encodeBitstringStatusList, encodeTokenStatusList } from '../src/status/codec.ts';
import { opsPerSecond } from './measure.ts';

const ENTRIES = 1_000_000;

/** About 1% of the entries set to a random non-zero status. */
function listWithOnePercentSet(bits: 1 | 2, seed: number): StatusList {
  const random = prng(seed);
  const list = new StatusList(ENTRIES, bits);
  const max = (1 << bits) - 1;
  for (let n = 0; n < ENTRIES / 100; n++) list.set(Math.floor(random() * ENTRIES), 1 + Math.floor(random() * max));
  return list;
}

async function through(stream: CompressionStream | DecompressionStream, bytes: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> {
  return new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer();
}

const ietf = listWithOnePercentSet(2, 1);
const w3c = listWithOnePercentSet(1, 2);
const ietfPacked = ietf.packed('lsb-first');
const w3cPacked = w3c.packed('msb-first');
const ietfJson = await encodeTokenStatusList(ietf);
const w3cEncoded = await encodeBitstringStatusList(w3c);
const ietfCompressed = new Uint8Array(await through(new CompressionStream('deflate'), ietfPacked));
const w3cCompressed = new Uint8Array(await through(new CompressionStream('gzip'), w3cPacked));

const deflateBaseline = await opsPerSecond(() => through(new CompressionStream('deflate'), ietfPacked));
const gzipBaseline = await opsPerSecond(() => through(new CompressionStream('gzip'), w3cPacked));
const inflateBaseline = await opsPerSecond(() => through(new DecompressionStream('deflate'), ietfCompressed));
const gunzipBaseline = await opsPerSecond(() => through(new DecompressionStream('gzip'), w3cCompressed));

const rows = [
  {
    name: `IETF Token Status List: encode ${ENTRIES.toLocaleString('en')} × 2 bits, 1% set`,
    perSecond: await opsPerSecond(() => encodeTokenStatusList(ietf)),
    baseline: deflateBaseline,
    baselineName: `CompressionStream('deflate') over the same ${ietfPacked.length.toLocaleString('en')} bytes`,
  },
  {
    name: `W3C Bitstring Status List: encode ${ENTRIES.toLocaleString('en')} × 1 bit, 1% set`,
    perSecond: await opsPerSecond(() => encodeBitstringStatusList(w3c)),
    baseline: gzipBaseline,
    baselineName: `CompressionStream('gzip') over the same ${w3cPacked.length.toLocaleString('en')} bytes`,
  },
  {
    name: 'IETF Token Status List: decode the same list',
    perSecond: await opsPerSecond(() => decodeTokenStatusList(ietfJson)),
    baseline: inflateBaseline,
    baselineName: `DecompressionStream('deflate') over the same ${ietfCompressed.length.toLocaleString('en')} bytes`,
  },
  {
    name: 'W3C Bitstring Status List: decode the same list',
    perSecond: await opsPerSecond(() => decodeBitstringStatusList(w3cEncoded)),
    baseline: gunzipBaseline,
    baselineName: `DecompressionStream('gzip') over the same ${w3cCompressed.length.toLocaleString('en')} bytes`,
  },
];

console.log(`launchproof status-list benchmark (Node ${process.version}; reference figure for a re-publication: 200 ms)\n`);
console.log('| measurement | ms per operation | baseline (same run) | ratio (ours / baseline) |');
console.log('|---|---:|---|---:|');
for (const r of rows) {
  const ms = 1000 / r.perSecond;
  const baselineMs = 1000 / r.baseline;
  console.log(`| ${r.name} | ${ms.toFixed(2)} | ${r.baselineName}: ${baselineMs.toFixed(2)} ms | ${(ms / baselineMs).toFixed(2)} |`);
}

// CompressionStream has no level setting; the IETF draft RECOMMENDS the highest. What that costs in bytes:
console.log('\n| list | compressed by CompressionStream (zlib default level) | node:zlib level 9 | difference |');
console.log('|---|---:|---:|---:|');
const sizes = [
  { name: 'IETF, ZLIB', ours: ietfCompressed.length, best: deflateSync(ietfPacked, { level: 9 }).length },
  { name: 'W3C, GZIP', ours: w3cCompressed.length, best: gzipSync(w3cPacked, { level: 9 }).length },
];
for (const s of sizes) {
  console.log(`| ${s.name} | ${s.ours} bytes | ${s.best} bytes | ${(((s.ours - s.best) / s.best) * 100).toFixed(1)}% |`);
}
