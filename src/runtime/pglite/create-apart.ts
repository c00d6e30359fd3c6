import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Creates the embedded database cluster in `dir` in a child process, when `dir` holds none yet.
 *
 * Why apart: PGlite runs initdb inside this process's WebAssembly memory, which grows to about
 * 620 MiB for it and never shrinks. A first `npm start` on a new data directory held 785 MiB for
 * its whole life, where every later start of the same directory settled at 158-200 MiB. Closing
 * that PGlite and opening another gave back only part of it (320 MiB), and a worker thread kept
 * its malloc arenas (278 MiB); a process gives everything back when it exits (131 MiB before the
 * server opened the database it made). The cost is one more node process on a first start, about
 * as long as initdb took in this one.
 *
 * PGlite decides the same way whether to run initdb: a data directory without PG_VERSION is new.
 */
export async function createClusterApart(dir: string): Promise<void> {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  // Resolved from this module, so the child loads the PGlite this process would have loaded.
  const pglite = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const program = `import { PGlite } from ${JSON.stringify(pglite)};
const db = await PGlite.create({ dataDir: process.argv[1] });
await db.close();`;
  const stderr: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--eval', program, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0)
    throw new Error(`creating the embedded database in ${dir} failed (exit ${code}): ${stderr.join('').trim().slice(-2_000)}`);
}
