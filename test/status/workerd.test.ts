/**
 * The codec in workerd, the Workers runtime: its Compression Streams are not Node's (it refuses
 * trailing bytes itself, words its errors differently), so the vectors, cross-runtime round
 * trips and refusals run there too. The sources under test are src/status and what it imports,
 * type-stripped by TypeScript and loaded as they are: no bundler between them and workerd.
 */
import { readFileSync } from 'node:fs';
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusList } from '../../src/status/bitstring.ts';
import {
  decodeBitstringStatusList,
  decodeTokenStatusList,
  encodeBitstringStatusList,
  encodeTokenStatusList,
} from '../../src/status/codec.ts';
import { deployedCompatibility } from '../workerd/bundle-worker.ts';
import { nonZeroRecord, prng, tokenStatusListVectors } from './helpers.ts';

const SRC = new URL('../../src/', import.meta.url);

/** src/status/codec.ts and every module it reaches by relative import, as workerd ES modules. */
function codecModules(): { type: 'ESModule'; path: string; contents: string }[] {
  const seen = new Map<string, string>();
  const visit = (url: URL) => {
    if (seen.has(url.href)) return;
    const source = readFileSync(url, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
        rewriteRelativeImportExtensions: true,
      },
    });
    seen.set(url.href, outputText);
    for (const [, spec] of source.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+'(\.[^']+\.ts)'/gm)) visit(new URL(spec!, url));
  };
  visit(new URL('status/codec.ts', SRC));
  return [...seen].map(([href, contents]) => ({
    type: 'ESModule',
    path: `/codec/${href.slice(SRC.href.length).replace(/\.ts$/, '.js')}`,
    contents,
  }));
}

/** The Worker: one JSON command per request, answered with the result or the error's name and code. */
const ENTRY = `
import { StatusList } from './status/bitstring.js';
import { decodeBitstringStatusList, decodeTokenStatusList, encodeBitstringStatusList, encodeTokenStatusList } from './status/codec.js';
const build = ({ size, bits, statuses }) => {
  const list = new StatusList(size, bits);
  for (const [i, s] of statuses) list.set(i, s);
  return list;
};
const describe = (list) => ({ size: list.size, bits: list.bits, nonZero: [...list.nonZero()] });
const ops = {
  runtime: async () => navigator.userAgent,
  encodeToken: (a) => encodeTokenStatusList(build(a)),
  encodeBitstring: (a) => encodeBitstringStatusList(build({ ...a, bits: 1 })),
  decodeToken: async (a) => describe(await decodeTokenStatusList(a.statusList, a.expectedSize)),
  decodeBitstring: async (a) => describe(await decodeBitstringStatusList(a.encodedList, a.expectedSize)),
};
export default {
  async fetch(request) {
    const { op, ...args } = await request.json();
    try {
      return Response.json({ ok: await ops[op](args) });
    } catch (e) {
      return Response.json({ error: { name: e.name, code: e.code, message: e.message } });
    }
  },
};`;

interface Described {
  size: number;
  bits: number;
  nonZero: [number, number][];
}
type Answer<T> = { ok: T; error?: undefined } | { ok?: undefined; error: { name: string; code?: string; message: string } };

let mf: Miniflare | undefined;

async function inWorkerd<T>(op: string, args: Record<string, unknown>): Promise<Answer<T>> {
  const res = await mf!.dispatchFetch('https://status.test/', { method: 'POST', body: JSON.stringify({ op, ...args }) });
  return (await res.json()) as Answer<T>;
}

const record = (nonZero: [number, number][]) => Object.fromEntries(nonZero.map(([i, s]) => [String(i), s]));
const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

beforeAll(async () => {
  const { compatibilityDate, compatibilityFlags } = await deployedCompatibility();
  mf = new Miniflare({
    modules: [{ type: 'ESModule', path: '/codec/entry.js', contents: ENTRY }, ...codecModules()],
    modulesRoot: '/codec',
    compatibilityDate,
    compatibilityFlags,
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
});

describe('in workerd', () => {
  it('is workerd answering', async () => {
    expect((await inWorkerd<string>('runtime', {})).ok).toBe('Cloudflare-Workers');
  });

  it.each(tokenStatusListVectors())('decodes the IETF vector $file to exactly its statuses', async (v) => {
    const answer = await inWorkerd<Described>('decodeToken', { statusList: { bits: v.bits, lst: v.lst } });
    expect(answer.error).toBeUndefined();
    expect(answer.ok!.size).toBe(v.size);
    expect(record(answer.ok!.nonZero)).toEqual(v.nonzero_statuses);
  });

  it('decodes an all-zero minimum W3C list gzipped by node:zlib', async () => {
    const encodedList = `u${gzipSync(Buffer.alloc(131_072 / 8)).toString('base64url')}`;
    const answer = await inWorkerd<Described>('decodeBitstring', { encodedList });
    expect(answer.ok).toEqual({ size: 131_072, bits: 1, nonZero: [] });
  });

  it.each([1, 2, 4, 8])('encodes a %i-bit IETF list that Node (ours and node:zlib) reads back, and reads Node’s', async (bits) => {
    const random = prng(bits * 17);
    const list = new StatusList(5000, bits as 1 | 2 | 4 | 8);
    for (let n = 0; n < 200; n++) list.set(Math.floor(random() * list.size), 1 + Math.floor(random() * ((1 << bits) - 1)));
    const statuses = [...list.nonZero()];

    const fromWorkerd = await inWorkerd<{ bits: number; lst: string }>('encodeToken', { size: list.size, bits, statuses });
    expect(fromWorkerd.ok!.bits).toBe(bits);
    expect(inflateSync(Buffer.from(fromWorkerd.ok!.lst, 'base64url')).equals(Buffer.from(list.packed('lsb-first')))).toBe(true);
    expect(nonZeroRecord(await decodeTokenStatusList(fromWorkerd.ok!, list.size))).toEqual(nonZeroRecord(list));

    const fromNode = await encodeTokenStatusList(list);
    const answer = await inWorkerd<Described>('decodeToken', { statusList: fromNode, expectedSize: list.size });
    expect(answer.ok).toEqual({ size: list.size, bits, nonZero: statuses });
  });

  it('encodes a W3C list that Node (ours and node:zlib) reads back, and reads Node’s', async () => {
    const random = prng(99);
    const list = new StatusList(131_072 + 5);
    for (let n = 0; n < 1000; n++) list.set(Math.floor(random() * list.size), 1);
    const statuses = [...list.nonZero()];

    const fromWorkerd = await inWorkerd<string>('encodeBitstring', { size: list.size, statuses });
    expect(fromWorkerd.ok![0]).toBe('u');
    expect(gunzipSync(Buffer.from(fromWorkerd.ok!.slice(1), 'base64url')).equals(Buffer.from(list.packed('msb-first')))).toBe(true);
    expect(nonZeroRecord(await decodeBitstringStatusList(fromWorkerd.ok!, list.size))).toEqual(nonZeroRecord(list));

    const answer = await inWorkerd<Described>('decodeBitstring', {
      encodedList: await encodeBitstringStatusList(list),
      expectedSize: list.size,
    });
    expect(answer.ok).toEqual({ size: list.size, bits: 1, nonZero: statuses });
  });

  it('refuses a too-short W3C list to encode with a TypeError', async () => {
    const answer = await inWorkerd('encodeBitstring', { size: 16, statuses: [[3, 1]] });
    expect(answer.error?.name).toBe('TypeError');
  });

  const good = deflateSync(new Uint8Array([0b1001, 0, 0xff, 0]));
  const goodGzip = gzipSync(new Uint8Array(131_072 / 8));
  it.each([
    ['a truncated ZLIB list', 'decodeToken', { statusList: { bits: 1, lst: b64u(good.subarray(0, -1)) } }],
    [
      'a ZLIB list with trailing bytes',
      'decodeToken',
      { statusList: { bits: 1, lst: b64u(Buffer.concat([good, Buffer.from([0, 0, 0, 0])])) } },
    ],
    ['a ZLIB list twice', 'decodeToken', { statusList: { bits: 1, lst: b64u(Buffer.concat([good, good])) } }],
    ['a ZLIB bomb', 'decodeToken', { statusList: { bits: 1, lst: b64u(deflateSync(new Uint8Array(16 * 1024 * 1024 + 1), { level: 9 })) } }],
    ['an lst that is not base64url', 'decodeToken', { statusList: { bits: 1, lst: 'eNrbuRgAAhcBXQ==' } }],
    ['an empty lst', 'decodeToken', { statusList: { bits: 1, lst: '' } }],
    ['bits 3', 'decodeToken', { statusList: { bits: 3, lst: b64u(good) } }],
    ['a truncated GZIP list', 'decodeBitstring', { encodedList: `u${b64u(goodGzip.subarray(0, -4))}` }],
    ['two GZIP members', 'decodeBitstring', { encodedList: `u${b64u(Buffer.concat([goodGzip, goodGzip]))}` }],
    ['a GZIP bomb', 'decodeBitstring', { encodedList: `u${b64u(gzipSync(new Uint8Array(16 * 1024 * 1024 + 1), { level: 9 }))}` }],
    ['a short W3C list', 'decodeBitstring', { encodedList: `u${b64u(gzipSync(new Uint8Array(100)))}` }],
    ['a W3C list without its prefix', 'decodeBitstring', { encodedList: b64u(goodGzip) }],
  ])('refuses %s with invalid_status_list', async (_name, op, args) => {
    const answer = await inWorkerd(op, args);
    expect(answer.error).toMatchObject({ name: 'AppError', code: 'invalid_status_list' });
  });
});
