import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP relay in front of the test PostgreSQL, so one client's database can go away while
 * everyone else's stays: `cut()` resets every connection through it and stops listening (new
 * connections are refused), as a crashed server looks to that client; `restore()` listens on the
 * same port again.
 */
export interface TcpProxy {
  /** `url` with its host and port replaced by the relay's. */
  readonly url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function tcpProxy(url: string): Promise<TcpProxy> {
  const target = new URL(url);
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      // Either side failing ends both, as a broken connection does.
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const stop = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  await listen(0);
  const port = (server.address() as { port: number }).port;
  const relayed = new URL(url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String(port);
  return {
    url: relayed.toString(),
    async cut() {
      const stopped = stop();
      for (const s of open) {
        // A reset, not a polite close: what a crashed server or a broken network looks like.
        try {
          s.resetAndDestroy();
        } catch {
          s.destroy();
        }
      }
      await stopped;
    },
    restore: () => (server.listening ? Promise.resolve() : listen(port)),
    async close() {
      for (const s of open) s.destroy();
      await stop();
    },
  };
}
