import { deflate, gzip, type ZlibOptions } from 'node:zlib';
import type { Compressor } from '../../status/compression.ts';

/*
 * node:zlib's callback functions, not the Sync ones and not Compression Streams. Each call is
 * one job on libuv's thread pool: the three lists of a re-publication compress side by side,
 * and the event loop serves public reads meanwhile (deflateSync would hold it for the whole
 * ~14 ms of a 1M-entry list). Compression Streams run the same zlib on the same pool, but feed
 * and read it in 16 KiB stream chunks through promises and copy the chunks into one array at
 * the end. bench/status-publication.bench.ts: 1M-entry re-publication 1.16x node:zlib before
 * (streams), see docs/benchmarks.md for after.
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
