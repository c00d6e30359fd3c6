import { createHash } from 'node:crypto';
import { readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';

/**
 * PGlite is a single-process database: two processes opening one data directory corrupt it.
 *
 * The lock is a listening Unix domain socket, because the kernel closes a dead process's sockets
 * whatever killed it; a pid file (the lock before this one) outlives a crash and, once its pid is
 * reused by an unrelated process, blocks every start forever. Node has no flock().
 *
 * On Linux the socket lives in the abstract namespace under a name derived from the directory's
 * real path: no file to go stale, and the name is free the instant its holder dies. Elsewhere it
 * is a socket file beside the directory; a file nobody accepts on is a dead holder's, taken over.
 *
 * The holder also writes its pid beside the directory, only so that a refusal can name it: the
 * socket decides who holds the lock, the file is never trusted for that. (The kernel accepts on a
 * live holder's socket even while its event loop is busy in PGlite's WASM, so no answer is awaited.)
 */
export async function lockDataDir(dir: string, options: { abstract?: boolean } = {}): Promise<() => Promise<void>> {
  const abstract = options.abstract ?? process.platform === 'linux';
  const real = await realpath(dir);
  const address = abstract ? `\0launchproof-data-dir:${createHash('sha256').update(real).digest('hex')}` : `${real}.lock.sock`;
  const pidFile = `${real}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const server = createServer((socket) => socket.destroy());
    const listening = await listen(server, address);
    if (listening === true) {
      // The lock must never be what keeps a finished command alive.
      server.unref();
      await writeFile(pidFile, String(process.pid), { mode: 0o600 });
      return async () => {
        await unlink(pidFile).catch(() => {});
        await new Promise<void>((resolve) => server.close(() => resolve()));
      };
    }
    if (listening !== 'EADDRINUSE') throw new Error(`could not lock the embedded database at ${real}: ${listening}`);
    if (await holderAlive(address)) {
      const pid = (await readFile(pidFile, 'utf8').catch(() => '')).trim();
      throw new Error(
        `the embedded database is in use by ${/^\d+$/.test(pid) ? `process ${pid}` : 'another process'}; stop it, or use the HTTP API while it runs`,
      );
    }
    // Only a socket file can be left behind by a dead holder; an abstract name cannot.
    if (abstract) break;
    await unlink(address).catch(() => {});
  }
  throw new Error(`could not lock the embedded database at ${real}`);
}

function listen(server: Server, address: string): Promise<true | string> {
  return new Promise((resolve) => {
    server.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    server.listen(address, () => resolve(true));
  });
}

/** Whether something accepts on the lock's socket: a refused or missing socket file is a dead holder's. */
function holderAlive(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(address, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(!(e.code === 'ECONNREFUSED' || e.code === 'ENOENT')));
  });
}
