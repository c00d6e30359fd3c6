import { serve } from '@hono/node-server';
import type { Config } from '../../config/index.ts';
import { dataPath } from './open-database.ts';
import { writeOwnerOnly } from './secret-files.ts';
import { openService } from './service.ts';

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

/**
 * `npm start`: migrate, bootstrap, listen, rotate on a timer, and stop cleanly on a signal.
 */
export async function runServer(config: Config): Promise<void> {
  const service = await openService(config);
  const { log } = service;

  await announceBootstrapToken(config, service.bootstrap.adminToken);

  const server = serve({
    fetch: (req, env: { incoming?: { socket?: { remoteAddress?: string } } }) =>
      service.app.fetch(req, {
        db: service.db,
        defer: (work) => service.background.track(work),
        ...(env.incoming?.socket?.remoteAddress ? { clientAddress: env.incoming.socket.remoteAddress } : {}),
      }),
    port: config.port,
    hostname: config.bindAddress,
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
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
    server.close(() => void service.close().then(() => process.exit(0)));
    // Open keep-alive connections must not hold the process past a reasonable drain.
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
