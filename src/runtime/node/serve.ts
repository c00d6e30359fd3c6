import type { IncomingMessage, Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Config } from '../../config/index.ts';
import { announceBootstrapToken, bootstrapKeyPath } from './bootstrap-key.ts';
import { listenError } from './listen-error.ts';
import { METRICS_PATH, metricsEndpoint } from './metrics/endpoint.ts';
import { openService, type Service } from './service.ts';

export interface Listening {
  /** The Node HTTP server, for its events (tests wait on `request`). */
  readonly http: Server;
  /** The listener for /metrics alone, when METRICS_PORT asks for one. */
  readonly metrics: Server | undefined;
  close(): Promise<void>;
}

function listening(server: Server, port: number, bind: string, settings?: { port: string; bind: string }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, port, bind, settings)));
  });
}

function closing(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Serves the app (and /metrics, where configured) on the configured addresses; resolves once both listen. */
/** How often lists behind their changes are looked for: the bound on a change whose writer died before signing. */
const LIST_CATCH_UP_SECONDS = 15;

export async function listen(service: Service, config: Config): Promise<Listening> {
  const metrics = metricsEndpoint(() => service.scrapeMetrics(), config.metrics.token);
  // On the public listener /metrics exists only behind a token; without one it is an unknown path.
  const publicMetrics = config.metrics.token !== undefined;
  const server = serve({
    fetch: (req, env: { incoming?: Pick<IncomingMessage, 'socket' | 'destroyed' | 'complete'> }) =>
      publicMetrics && new URL(req.url).pathname === METRICS_PATH
        ? metrics(req)
        : service.app.fetch(req, {
            db: service.db,
            ...(env.incoming?.socket?.remoteAddress ? { clientAddress: env.incoming.socket.remoteAddress } : {}),
            // Destroyed before its body came whole: the client hung up mid-upload (defect 6).
            ...(env.incoming ? { clientGone: () => env.incoming!.destroyed && !env.incoming!.complete } : {}),
          }),
    port: config.port,
    hostname: config.bindAddress,
  }) as Server;
  await listening(server, config.port, config.bindAddress);
  if (config.metrics.port === undefined) return { http: server, metrics: undefined, close: () => closing(server) };

  const metricsServer = serve({
    fetch: (req) => (new URL(req.url).pathname === METRICS_PATH ? metrics(req) : new Response('not found\n', { status: 404 })),
    port: config.metrics.port,
    hostname: config.metrics.bindAddress,
  }) as Server;
  try {
    await listening(metricsServer, config.metrics.port, config.metrics.bindAddress, { port: 'METRICS_PORT', bind: 'METRICS_BIND_ADDRESS' });
  } catch (e) {
    await closing(server);
    throw e;
  }
  service.log.info('metrics listening', {
    bind: `${config.metrics.bindAddress}:${config.metrics.port}`,
    token_required: config.metrics.token !== undefined,
  });
  return {
    http: server,
    metrics: metricsServer,
    close: async () => {
      await Promise.all([closing(server), closing(metricsServer)]);
    },
  };
}

/**
 * `npm start`: migrate, bootstrap, listen, rotate on a timer, and stop cleanly on a signal.
 */
export async function runServer(config: Config): Promise<void> {
  const service = await openService(config);
  const { log } = service;

  await announceBootstrapToken(bootstrapKeyPath(config, service.deployment), service.bootstrap.adminToken, log, {
    production: config.environment === 'production',
  });

  let listener: Listening;
  try {
    listener = await listen(service, config);
  } catch (e) {
    // The database (and the embedded one's data directory lock) is released before exiting.
    await service.close();
    throw e;
  }
  // A sweep that fails (the database restarting) is tried again at the next tick; unhandled, its
  // rejection would end the process.
  const sweep = () =>
    service.sweep().catch((e: unknown) => log.error('scheduled sweep failed', { error: e instanceof Error ? e.message : String(e) }));
  let timer: ReturnType<typeof setInterval> | undefined;
  // Readers never sign, so a change whose writer died before re-signing its list waits for this.
  const catchUp = setInterval(
    () =>
      void service
        .catchUpLists()
        .catch((e: unknown) => log.error('status list catch-up failed', { error: e instanceof Error ? e.message : String(e) })),
    LIST_CATCH_UP_SECONDS * 1000,
  );

  let stopping = false;
  const stop = (signal: string) => {
    stopping = true;
    log.info('stopping', { signal });
    clearInterval(timer);
    clearInterval(catchUp);
    listener.metrics?.close();
    listener.http.close(() => void service.close().then(() => process.exit(0)));
    // Open keep-alive connections must not hold the process past a reasonable drain.
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  // Before the server says it serves: an orchestrator may stop it at once, and the first sweep
  // below takes a while. Without these, that SIGTERM killed the process with the database open.
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  log.info('listening', { url: config.publicUrl.origin, bind: `${config.bindAddress}:${config.port}`, database: service.db.engine });
  process.stdout.write(
    `launchproof serving ${config.publicUrl.origin} (listening on ${config.bindAddress}:${config.port}, database: ${service.db.engine})\n`,
  );

  // The first sweep (keys due for rotation, lists to re-sign) at once, then on the timer; a stop
  // during it waits for the database to close as any stop does.
  await sweep();
  if (!stopping) timer = setInterval(() => void sweep(), config.rotationCheckSeconds * 1000);
}
