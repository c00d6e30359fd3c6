/**
 * Resident memory of a process by kind of mapping, from /proc/PID/smaps (Linux), to see where
 * it goes without a debugger:
 *   - v8Pages: V8 maps every isolate's heap (the main thread's, a loader or worker thread's) in
 *     256 KiB pages;
 *   - wasm: the WebAssembly memory, PGlite's PostgreSQL heap and buffer pool (the one anonymous
 *     read-write mapping of 128 MiB or more; only the pages it touched are resident);
 *   - arenas: glibc malloc arenas of threads other than the main one (64 MiB-aligned heaps, the
 *     rest of each 64 MiB reserved): V8's compiler and GC threads, libuv's thread pool;
 *   - brk: the main thread's malloc heap;
 *   - files: the node binary and shared libraries;
 *   - other: the remaining anonymous memory (compiled code, large objects, ArrayBuffer contents).
 */
import { readFile } from 'node:fs/promises';

export interface MemoryKinds {
  readonly v8Pages: number;
  readonly wasm: number;
  readonly arenas: number;
  readonly brk: number;
  readonly files: number;
  readonly other: number;
}

const MiB = 1024 * 1024;
const ARENA = 64 * MiB;

interface Mapping {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly name: string;
  rss: number;
}

/** In MiB; `pid` 'self' for this process. */
export async function memoryKinds(pid: number | 'self'): Promise<MemoryKinds> {
  const maps: Mapping[] = [];
  for (const line of (await readFile(`/proc/${pid}/smaps`, 'utf8')).split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      maps.push({ start: parseInt(head[1]!, 16), end: parseInt(head[2]!, 16), perms: head[3]!, name: head[4]!, rss: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && maps.length > 0) maps[maps.length - 1]!.rss = Number(rss[1]) / 1024;
  }
  const out = { v8Pages: 0, wasm: 0, arenas: 0, brk: 0, files: 0, other: 0 };
  maps.forEach((m, i) => {
    const size = m.end - m.start;
    const next = maps[i + 1];
    if (m.name === '[heap]') out.brk += m.rss;
    else if (m.name !== '') out.files += m.rss;
    else if (size === 256 * 1024) out.v8Pages += m.rss;
    else if (size >= 128 * MiB && m.perms.startsWith('rw')) out.wasm += m.rss;
    else if (
      m.perms === 'rw-p' &&
      m.start % ARENA === 0 &&
      next !== undefined &&
      next.start === m.end &&
      next.perms === '---p' &&
      next.end - m.start === ARENA
    )
      out.arenas += m.rss;
    else out.other += m.rss;
  });
  return out;
}
