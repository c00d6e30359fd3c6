import { setFlagsFromString } from 'node:v8';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/**
 * PostgreSQL's default buffer pool is 128 MB. Inside PGlite it lives in the WebAssembly memory,
 * which never shrinks: the pages it touches stay resident for the life of the process. Measured
 * with `launchproof serve` (bench/memory.bench.ts): with 128 MB the process held 437 MiB after
 * start and 510 MiB after 2,000 issuances; 16 MB saved about 100 MiB after start, and the pool
 * can no longer grow the process by more than 16 MB. 8 MB took the WASM memory resident after
 * start from 29.6 to 21.6 MiB (RSS after start, docs/benchmarks.md). Pages the pool does not hold
 * are read from the data directory's files, which the operating system caches outside this process.
 */
const SHARED_BUFFERS = '8MB';

/**
 * An index build (migrations) or a VACUUM may take this much at once, and what PGlite's heap
 * grows to it keeps; PostgreSQL's default is 64 MB, for tables far larger than an issuer's.
 */
const MAINTENANCE_WORK_MEM = '16MB';

/** Start-up options of every PGlite this service opens: PGlite's own defaults, with the memory above. */
export function pgliteMemoryOptions(): Pick<PGliteOptions, 'startParams'> {
  return {
    startParams: [
      ...PGlite.defaultStartParams,
      '-c',
      `shared_buffers=${SHARED_BUFFERS}`,
      '-c',
      `maintenance_work_mem=${MAINTENANCE_WORK_MEM}`,
    ],
  };
}

let compileTasksLimited = false;

/**
 * V8 compiles PGlite's 9 MB of WebAssembly, and later re-compiles its hot functions optimised,
 * on several worker threads at once; each thread allocates in a malloc arena of its own, and
 * glibc keeps what an arena grew to after the compiler has freed it. Measured on PGlite alone
 * (open, then 500 queries): arenas 53 → 17 MiB after open and 72 → 38 MiB after the queries,
 * RSS 207–220 → 170–180 MiB; opening was no slower (0.5–0.8 s either way, on 2 busy cores).
 * The flag is read when a module is compiled, so it is set before the first PGlite is created;
 * it only concerns WebAssembly, which only PGlite uses in this process.
 */
export function limitWasmCompileThreads(): void {
  if (compileTasksLimited) return;
  setFlagsFromString('--wasm-num-compilation-tasks=1');
  compileTasksLimited = true;
}
