import { serve } from '@hono/node-server';
import type { Config } from '../../config/index.ts';
import { announceBootstrapToken, bootstrapKeyPath } from './bootstrap-key.ts';
import { openService } from './service.ts';
import { METRICS_PATH, metricsEndpoint } from './metrics/endpoint.ts';

/**
 * `npm start`: migrate, bootstrap, listen, rotate on a timer, and stop cleanly on a signal.
 */
export async function runServer(config: Config): Promise<void> {
  const service = await openService(config);
  const { log } = service;

  await announceBootstrapToken(bootstrapKeyPath(config, service.deployment), service.bootstrap.adminToken, log);

  const metrics = metricsEndpoint(() => service.scrapeMetrics(), config.metrics.token);
  // On the public listener /metrics exists only behind a token; without one it is an unknown path.
  const publicMetrics = config.metrics.token !== undefined;
  const server = serve({
    fetch: (req, env: { incoming?: { socket?: { remoteAddress?: string } } }) =>
      publicMetrics && new URL(req.url).pathname === METRICS_PATH
        ? metrics(req)
        : service.app.fetch(req, {
            db: service.db,
            defer: (work) => service.background.track(work),
            ...(env.incoming?.socket?.remoteAddress ? { clientAddress: env.incoming.socket.remoteAddress } : {}),
          }),
    port: config.port,
    hostname: config.bindAddress,
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const metricsServer =
    config.metrics.port === undefined
      ? undefined
      : serve({
          fetch: (req) => (new URL(req.url).pathname === METRICS_PATH ? metrics(req) : new Response('not found\n', { status: 404 })),
          port: config.metrics.port,
          hostname: config.metrics.bindAddress,
        });
  if (metricsServer) {
    await new Promise<void>((resolve) => metricsServer.once('listening', () => resolve()));
    log.info('metrics listening', {
      bind: `${config.metrics.bindAddress}:${config.metrics.port}`,
      token_required: config.metrics.token !== undefined,
    });
  }
  log.info('listening', { url: config.publicUrl.origin, bind: `${config.bindAddress}:${config.port}`, database: service.db.engine });
  process.stdout.write(
    `launchproof serving ${config.publicUrl.origin} (listening on ${config.bindAddress}:${config.port}, database: ${service.db.engine})\n`,
  );

  await service.sweep();
  // A sweep that fails (the database restarting) is tried again at the next tick; unhandled, its
  // rejection would end the process.
  const sweep = () =>
    service.sweep().catch((e: unknown) => log.error('scheduled sweep failed', { error: e instanceof Error ? e.message : String(e) }));
  const timer = setInterval(() => void sweep(), config.rotationCheckSeconds * 1000);

  const stop = (signal: string) => {
    log.info('stopping', { signal });
    clearInterval(timer);
    metricsServer?.close();
    server.close(() => void service.close().then(() => process.exit(0)));
    // Open keep-alive connections must not hold the process past a reasonable drain.
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
