import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
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
 * The cluster is made beside `dir` and renamed into place once whole, so a child that fails, is
 * killed, or runs past `timeoutMs` (then killed, and the start fails naming the directory) leaves
 * no half-made database for the next start to open; the next start removes what such a run left
 * beside `dir`. `dir` must be empty (the caller made it) and locked by the caller.
 */
export async function createClusterApart(dir: string, timeoutMs = 300_000): Promise<void> {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  const clutter = () => new Error(`${dir} holds files but no database (no PG_VERSION): move them away and start again`);
  if ((await readdir(dir).catch(() => [])).length > 0) throw clutter();
  // Resolved from this module, so the child loads the same installed PGlite (its CommonJS entry,
  // which require.resolve gives on every Node 20; the same package and version as ours).
  const pglite = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const program = `import { PGlite } from ${JSON.stringify(pglite)};
const db = await PGlite.create({ dataDir: process.argv[1] });
await db.close();`;
  // Left by a start killed while its child ran: stale, since the caller holds the directory's lock.
  const parent = dirname(dir);
  for (const name of await readdir(parent).catch(() => [] as string[]))
    if (name.startsWith(`${basename(dir)}.creating-`)) await rm(join(parent, name), { recursive: true, force: true });
  const staging = `${dir}.creating-${process.pid}`;
  await mkdir(staging, { mode: 0o700 });
  const stderr: string[] = [];
  const code = await new Promise<number | string | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--eval', program, staging], { stdio: ['ignore', 'ignore', 'pipe'] });
    // initdb takes seconds; one that hangs must not hang the start with it.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'close', not 'exit': by then stderr is read to its end, so a failure's text is whole.
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve(exitCode ?? signal);
    });
  });
  if (code !== 0) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(`creating the embedded database in ${dir} failed (exit ${code}): ${stderr.join('').trim().slice(-2_000)}`);
  }
  try {
    // Replaces the empty directory the caller made; refused (ENOTEMPTY) if anything is in it.
    await rename(staging, dir);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw Object.assign(clutter(), { cause: e });
  }
}
