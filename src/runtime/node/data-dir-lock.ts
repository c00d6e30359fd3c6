import { createHash } from 'node:crypto';
import { realpath, unlink } from 'node:fs/promises';
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
 * The holder answers each connection with its pid, so a refusal can name it.
 */
export async function lockDataDir(dir: string, options: { abstract?: boolean } = {}): Promise<() => Promise<void>> {
  const abstract = options.abstract ?? process.platform === 'linux';
  const real = await realpath(dir);
  const address = abstract ? `\0launchproof-data-dir:${createHash('sha256').update(real).digest('hex')}` : `${real}.lock.sock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const server = createServer((socket) => socket.end(String(process.pid)));
    const listening = await listen(server, address);
    if (listening === true) {
      // The lock must never be what keeps a finished command alive.
      server.unref();
      return () => new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (listening !== 'EADDRINUSE') throw new Error(`could not lock the embedded database at ${real}: ${listening}`);
    const holder = await askHolder(address);
    if (holder !== 'gone') {
      throw new Error(
        `the embedded database is in use by ${holder ? `process ${holder}` : 'another process'}; stop it, or use the HTTP API while it runs`,
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

/** The holder's pid ('' when it accepts but says nothing), or 'gone' when nothing accepts. */
function askHolder(address: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(address);
    let said = '';
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('data', (d: Buffer) => (said += d.toString()));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'gone' : ''));
    socket.once('close', () => resolve(/^\d+$/.test(said) ? said : ''));
  });
}
