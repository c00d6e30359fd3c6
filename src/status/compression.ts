/**
 * ZLIB (RFC 1950) and GZIP (RFC 1952) for status lists and served assets.
 *
 * Compressing is a port: each runtime installs the fastest implementation it has (Node:
 * node:zlib, src/runtime/node/zlib-compression.ts), and the web-standard Compression Streams,
 * which Node 20 and workerd both provide, are the default where nothing better exists (the
 * Worker). A process-wide choice rather than an argument threaded through every publisher
 * (issuance, revocation, the sweep, the CLI): every implementation runs the same zlib at its
 * default level (6) with the same window, so the choice changes how fast the bytes come, never
 * which bytes (test/status/compression.test.ts holds both to that).
 *
 * Level 6, where the IETF draft RECOMMENDS the highest: on the 1M-entry bench lists (1.5% set)
 * level 9 saves 13% of the bytes (50.2 KB -> 43.5 KB for the three) and costs 20-50x the time
 * (14 ms -> 550-800 ms, deflate's lazy matching on sparse random bits), on every re-signing.
 *
 * Inflating untrusted input stays on Compression Streams everywhere: it is bounded by reading
 * (decompressBounded), and it is off the publication path.
 */
import { AppError } from '../errors/index.ts';
import { readCapped } from '../util/read-capped.ts';

/** 'deflate' is the ZLIB format (RFC 1950) in the Compression Streams standard, not raw DEFLATE. */
export type ListCompression = 'deflate' | 'gzip';

/** Compresses whole byte arrays; the caller owns the input and must not change it until the promise settles. */
export type Compressor = (bytes: Uint8Array<ArrayBuffer>, format: ListCompression) => Promise<Uint8Array<ArrayBuffer>>;

/**
 * The largest compressed input that can inflate to `maxBytes`: stored (uncompressed) blocks
 * are the worst case, a few bytes per 64 KiB block plus header and trailer; this is generous.
 */
export function maxCompressedLength(maxBytes: number): number {
  return maxBytes + (maxBytes >>> 10) + 64;
}

/** Compression Streams: chunked stream reads and a copy into one array, but available everywhere. */
export const webCompressor: Compressor = async (bytes, format) => {
  const stream = new CompressionStream(format);
  feed(stream.writable, bytes);
  const output = await readCapped(stream.readable.getReader(), Number.POSITIVE_INFINITY);
  if (!output) throw new TypeError('unreachable: compression has no output cap');
  return output;
};

let installed: Compressor = webCompressor;

/** Called once by a runtime's entry point, before it serves or signs. */
export function useCompressor(compressor: Compressor): void {
  installed = compressor;
}

export function compress(bytes: Uint8Array<ArrayBuffer>, format: ListCompression): Promise<Uint8Array<ArrayBuffer>> {
  return installed(bytes, format);
}

/**
 * Inflates untrusted input, stopping as soon as the output passes `maxBytes`: the stream only
 * inflates as fast as it is read, so a bomb costs at most `maxBytes` of memory and work. Every
 * failure (bad header, bad checksum, truncation, too large) is an `invalid_status_list` AppError.
 */
export async function decompressBounded(
  input: Uint8Array<ArrayBuffer>,
  format: ListCompression,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new DecompressionStream(format);
  feed(stream.writable, input);
  let output: Uint8Array<ArrayBuffer> | undefined;
  try {
    output = await readCapped(stream.readable.getReader(), maxBytes);
  } catch (e) {
    throw new AppError('invalid_status_list', `not valid ${format} data`, { cause: e });
  }
  if (!output) throw new AppError('invalid_status_list', `inflates to more than ${maxBytes} bytes`);
  if (!endsWithTrailer(input, output, format)) throw new AppError('invalid_status_list', `trailing bytes after the ${format} stream`);
  return output;
}

/** Writes and closes without awaiting: the reader drives the stream, and reports its errors. */
function feed(writable: WritableStream<BufferSource>, bytes: Uint8Array<ArrayBuffer>): void {
  const writer = writable.getWriter();
  writer.write(bytes).catch(ignore);
  writer.close().catch(ignore);
}

/**
 * workerd refuses bytes after the end of the compressed stream; Node 20 ignores them after a
 * ZLIB stream and reads them as a further member after a GZIP one. So that both runtimes
 * answer alike, the input must end with the trailer of what it inflated to: the Adler-32 of
 * the data (RFC 1950 §2.2) or its length modulo 2^32 (RFC 1952 §2.3.1, ISIZE). Bytes crafted
 * to end with that same trailer still pass on Node, but decode to nothing a conforming decoder
 * would not read there (ZLIB: the first stream; GZIP: every member, each one checksummed).
 */
function endsWithTrailer(input: Uint8Array, output: Uint8Array, format: ListCompression): boolean {
  if (input.length < 4) return false;
  const view = new DataView(input.buffer, input.byteOffset + input.length - 4, 4);
  return format === 'deflate' ? view.getUint32(0, false) === adler32(output) : view.getUint32(0, true) === output.length >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  // Reduced every 5552 bytes (zlib's NMAX), so the sums stay small integers, V8's fast path.
  for (let start = 0; start < bytes.length; start += 5552) {
    const end = Math.min(start + 5552, bytes.length);
    for (let i = start; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function ignore(): void {}
