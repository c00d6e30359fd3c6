import type { IncomingMessage, Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Config } from '../../config/index.ts';
import { dataPath } from './open-database.ts';
import { writeOwnerOnly } from './secret-files.ts';
import { listenError } from './listen-error.ts';
import { openService, type Service } from './service.ts';

/**
 * The bootstrap admin token is the one secret ever written to the terminal: it exists nowhere
 * else in clear, and the operator needs it to do anything at all. It goes to stderr, not the log.
 */
export async function announceBootstrapToken(config: Config, token: string | undefined): Promise<void> {
  if (!token) return;
  const path = dataPath(config, 'bootstrap-admin-key');
  await writeOwnerOnly(path, `${token}\n`);
  process.stderr.write(`\nBootstrap platform admin API key (shown once; also saved, owner-readable only, to ${path}):\n\n  ${token}\n\n`);
}

export interface Listening {
  /** The Node HTTP server, for its events (tests wait on `request`). */
  readonly http: Server;
  close(): Promise<void>;
}

/** Serves the app on the configured address; resolves once it listens. */
export async function listen(service: Service, config: Config): Promise<Listening> {
  const server = serve({
    fetch: (req, env: { incoming?: Pick<IncomingMessage, 'socket' | 'destroyed' | 'complete'> }) =>
      service.app.fetch(req, {
        db: service.db,
        defer: (work) => service.background.track(work),
        ...(env.incoming?.socket?.remoteAddress ? { clientAddress: env.incoming.socket.remoteAddress } : {}),
        // Destroyed before its body came whole: the client hung up mid-upload (defect 6).
        ...(env.incoming ? { clientGone: () => env.incoming!.destroyed && !env.incoming!.complete } : {}),
      }),
    port: config.port,
    hostname: config.bindAddress,
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, config.port, config.bindAddress)));
  });
  return {
    http: server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * `npm start`: migrate, bootstrap, listen, rotate on a timer, and stop cleanly on a signal.
 */
export async function runServer(config: Config): Promise<void> {
  const service = await openService(config);
  const { log } = service;

  await announceBootstrapToken(config, service.bootstrap.adminToken);

  let server: Server;
  try {
    server = (await listen(service, config)).http;
  } catch (e) {
    // The database (and the embedded one's data directory lock) is released before exiting.
    await service.close();
    throw e;
  }
  log.info('listening', { url: config.publicUrl.origin, bind: `${config.bindAddress}:${config.port}`, database: service.db.engine });
  process.stdout.write(
    `launchproof serving ${config.publicUrl.origin} (listening on ${config.bindAddress}:${config.port}, database: ${service.db.engine})\n`,
  );

  await service.sweep();
  const timer = setInterval(() => void service.sweep(), config.rotationCheckSeconds * 1000);

  const stop = (signal: string) => {
    log.info('stopping', { signal });
    clearInterval(timer);
    server.close(() => void service.close().then(() => process.exit(0)));
    // Open keep-alive connections must not hold the process past a reasonable drain.
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
