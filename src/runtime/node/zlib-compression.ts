import { deflate, gzip, type ZlibOptions } from 'node:zlib';
import type { Compressor } from '../../status/compression.ts';

/*
 * node:zlib's callback functions, not the Sync ones and not Compression Streams. Each call is
 * one job on libuv's thread pool: the three lists of a re-publication compress side by side,
 * and the event loop serves public reads meanwhile (deflateSync would hold it for the whole
 * ~14 ms of a 1M-entry list). Compression Streams run the same zlib on the same pool, but feed
 * and read it in 16 KiB stream chunks through promises and copy the chunks into one array at
 * the end. The whole re-publication over sequential node:zlib, three rounds on a loaded 2-core
 * machine: 0.88 / 1.10 / 1.44 with the callback functions, 1.08 / 1.36 / 1.39 with the Sync ones
 * (which would also hold the event loop). bench/status-publication.bench.ts, with the base64
 * fixes: 1.45-1.60x before, 0.97-1.27x after (docs/benchmarks.md).
 */

/** One output chunk for a list's compressed size (a 1M-entry list compresses to ~25 KiB), so no concatenation. */
const OPTIONS: ZlibOptions = { chunkSize: 64 * 1024 };

export const nodeCompressor: Compressor = (bytes, format) =>
  new Promise((resolve, reject) => {
    (format === 'deflate' ? deflate : gzip)(bytes, OPTIONS, (error, out) => {
      if (error) reject(error);
      // A view, not a copy: the array zlib wrote into is ours alone.
      else resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    });
  });
