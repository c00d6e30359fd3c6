import type { Config } from '../../config/index.ts';
import { createApp } from '../../http/app.ts';
import { followChanges } from '../../projection/follow.ts';
import { batchedStdout } from './log-sink.ts';
import { Projection } from '../../projection/projection.ts';
import type { KeyEncryptionKey } from '../../keys/key-crypto.ts';
import { keysSealedUnderOtherKek } from '../../keys/kek-check.ts';
import { rotateDueKeys } from '../../keys/sweep.ts';
import { republishStaleLists } from '../../status/sweep.ts';
import { ensureOrigin } from '../../deployment/origin.ts';
import type { Deployment } from '../../deployment/store.ts';
import { createJsonLogger, type Logger } from '../../log/logger.ts';
import { guardConnectingRole } from '../../store/connecting-role.ts';
import { migrationRecords } from '../../store/migration-state.ts';
import { migrate } from '../../store/migrations.ts';
import type { Database } from '../../store/port.ts';
import { bootstrap, type BootstrapOutcome } from '../../use-cases/bootstrap.ts';
import { resolveKek } from './kek.ts';
import { loadMigrations } from './migration-files.ts';
import { openDatabase } from './open-database.ts';
import { createPinnedEdge } from './pinned-fetch.ts';
import { buildWebAssets } from './web-assets.ts';
import { useNodeFastPaths } from './fast-paths.ts';
import { keepStatistics } from '../pglite/statistics.ts';
import { readOperationalGauges } from '../../metrics/store.ts';
import { createPromMetrics } from './metrics/prom-metrics.ts';
import { withPoolUsage } from './metrics/pool-usage.ts';
import { DEFAULT_POOL_MAX } from '../postgres/database.ts';
import { sequenceTenant } from '../../transparency/sequencer.ts';
import { startSequencing, type Sequencing } from '../../transparency/sequencing.ts';
import { logSequencerFor } from '../../use-cases/log-sequencer.ts';
import { startWebhookDispatch } from '../../use-cases/webhook-dispatch.ts';
import { startEvidenceReminders } from '../../use-cases/evidence-reminders.ts';
import { webhookSender } from '../../webhooks/http-sender.ts';
import { dropExpiredExports, startExportBuilding } from '../../use-cases/audit-export-builder.ts';
import type { TenantWork } from '../../store/tenant-work.ts';

export interface Service {
  readonly config: Config;
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly log: Logger;
  readonly app: ReturnType<typeof createApp>;
  readonly bootstrap: BootstrapOutcome;
  /** This database's identity and recorded origin (equal to config.publicUrl's, or the service refused to open). */
  readonly deployment: Deployment;
  /** Runs the scheduled work once (the timer calls this): key rotation, then stale status lists. */
  sweep(): Promise<void>;
  /** Re-signs lists whose copy is behind their changes (a writer that died before signing): far more often than the sweep. */
  catchUpLists(): Promise<void>;
  /** The tenant logs' sequencer (absent for console commands, whose entries a server sequences). */
  readonly sequencing?: Sequencing;
  /** The audit-export builder (absent for console commands). */
  readonly exports?: TenantWork;
  /** The webhook dispatcher (absent for console commands). */
  readonly webhooks?: TenantWork;
  /** The evidence.expiring sweep (issue 14), on its timer. */
  readonly reminders?: TenantWork;
  /** The Prometheus exposition, with the store-derived gauges read now (one query). */
  scrapeMetrics(): Promise<{ contentType: string; body: string }>;
  close(): Promise<void>;
}

/** How often a server looks for log entries other processes wrote: the bound on their position is this plus one run. */
const LOG_POLL_MS = 500;
/** How often a server looks for audit exports asked of other instances: nobody waits on them by the second. */
const EXPORT_POLL_MS = 5000;

/** Everything `npm start` needs, short of listening: storage migrated, bootstrap done, app built. */
export async function openService(
  config: Config,
  // `pages: false` for console commands: they serve no page, and esbuild costs them a noticeable pause.
  // `origin: 'check'` for console commands: only init and the server may record the deployment's origin.
  options: { clock?: () => Date; log?: Logger; pages?: boolean; origin?: 'record' | 'check' } = {},
): Promise<Service> {
  // Before anything signs or compresses.
  useNodeFastPaths();
  const log = options.log ?? createJsonLogger(config.logLevel, batchedStdout());
  const clock = options.clock ?? (() => new Date());
  const kek = await resolveKek(config, log);
  // Process metrics (CPU, memory, event loop) only for the server: a console command has no scraper.
  const prom = createPromMetrics({ processMetrics: options.pages !== false });
  const metrics = prom.port;
  const pool = withPoolUsage(await openDatabase(config), config.databaseUrl ? DEFAULT_POOL_MAX : 1);
  const db = pool.db;
  try {
    // Before migrating: a refused deployment changes nothing.
    await guardConnectingRole(db, config.environment, log);
    const files = await loadMigrations();
    const report = await migrate(db, files);
    if (report.applied.length > 0) log.info('migrations applied', { applied: report.applied, engine: db.engine });
    // Before anything that creates keys or signs: a process with the wrong origin changes nothing.
    const deployment = await ensureOrigin(db, config.publicUrl, options.origin ?? 'record', clock());
    const outcome = await bootstrap({ db, kek, now: clock() }, { demoTenant: config.bootstrapDemoTenant });
    const foreign = await keysSealedUnderOtherKek(db, kek);
    if (foreign.length > 0) {
      // Not fatal: rotating twice under the new KEK is how an operator recovers from a lost one.
      log.error('signing keys are sealed under another key-encryption key; they cannot sign until rotated out', {
        kek_id: kek.id,
        expected_kek_ids: [...new Set(foreign.map((k) => k.kekId))],
        tenants: [...new Set(foreign.map((k) => k.tenantId))],
      });
    }
    // Built once per process, before the first request: a page never waits for esbuild.
    const webAssets = options.pages === false ? undefined : await buildWebAssets();
    const projection = new Projection({ clock });
    // The server serves public reads from memory and follows every change; a console command
    // serves nothing and leaves the projection to check versions on read.
    // The embedded database is this process's alone (the data directory's lock): every change is
    // its own, announced as it commits and notified in process, so no notification can be lost
    // and a poll would find nothing (on PGlite it would also run on the event-loop thread, in
    // front of the requests waiting, 0.3 ms each time).
    const following =
      options.pages === false ? undefined : await followChanges(projection, db, log, config.databaseUrl ? {} : { pollMs: false });
    // No autovacuum on the embedded database: the server analyses it itself (pglite/statistics.ts).
    const statistics =
      options.pages === false || config.databaseUrl
        ? undefined
        : keepStatistics(db, (e) =>
            log.warn('analysing the embedded database failed', { error: e instanceof Error ? e.message : String(e) }),
          );
    // The server sequences its own log entries as they commit, and polls PostgreSQL for entries
    // other instances (or console commands) wrote; on the embedded database every writer is this
    // process, or a console command that ran before it started: one sweep at start finds those.
    const logSequencer = logSequencerFor(kek, config.publicUrl, clock);
    const logDeps = logSequencer(db);
    const sequencing =
      options.pages === false
        ? undefined
        : startSequencing(db, (tenantId) => sequenceTenant(logDeps, tenantId), {
            pollMs: config.databaseUrl ? LOG_POLL_MS : false,
            onError: (tenantId, e) =>
              log.error('sequencing the log failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) }),
          });
    await sequencing?.sweep();
    // Audit exports are built the same way: after each request this process commits, and by a
    // slower poll on PostgreSQL for those other instances (or Workers) took.
    const exports =
      options.pages === false
        ? undefined
        : startExportBuilding(
            { db, sequencer: logDeps, now: clock },
            {
              pollMs: config.databaseUrl ? EXPORT_POLL_MS : false,
              onError: (tenantId, e) =>
                log.error('building an audit export failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) }),
            },
          );
    await exports?.sweep();
    // Every request the service makes for someone else (other issuers' keys and lists, webhook
    // receivers) leaves through one edge that connects only to the address it checked.
    const edge = createPinnedEdge();
    // Webhook events go out as soon as the sequencer run that placed them commits, and on a poll
    // for retries falling due; over the pinned edge, so the address checked is the one connected to.
    const webhooks =
      options.pages === false
        ? undefined
        : startWebhookDispatch(
            {
              db,
              kek,
              now: clock,
              metrics,
              publicUrl: config.publicUrl,
              send: webhookSender(edge, { allowLocal: config.webhooksAllowLocal }),
            },
            (tenantId, e) =>
              log.error('delivering webhooks failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) }),
          );
    await webhooks?.sweep();
    // Evidence nearing its end, and shared attestations nearing theirs (issue 14): reminders fall
    // due with time, so a timer finds them, and one sweep at start catches up on what fell due
    // while the server was down.
    const reminders =
      options.pages === false
        ? undefined
        : startEvidenceReminders({ db, now: clock, notices: { kek, publicUrl: config.publicUrl, now: clock } }, (tenantId, e) =>
            log.error('placing evidence reminders failed', { tenant: tenantId, error: e instanceof Error ? e.message : String(e) }),
          );
    await reminders?.sweep();
    const app = createApp({
      projection,
      config,
      kek,
      clock,
      log,
      metrics,
      // The identity provider is reached with plain fetch, outside the guard: its address is the
      // operator's setting (OIDC_ISSUER, OIDC_JWKS_URL), never a caller's, and it often lives on a
      // private network that the guard would refuse. A token's `iss` never chooses a URL: it must
      // equal the configured issuer. Only what a caller names goes through the pinned edge.
      fetch: (input, init) => fetch(input, init),
      outbound: edge,
      logSequencer,
      migrations: await migrationRecords(files),
      ...(webAssets ? { webAssets } : {}),
    });
    return {
      config,
      db,
      kek,
      log,
      app,
      bootstrap: outcome,
      deployment,
      ...(sequencing ? { sequencing } : {}),
      ...(exports ? { exports } : {}),
      ...(webhooks ? { webhooks } : {}),
      ...(reminders ? { reminders } : {}),
      sweep: async () => {
        await rotateDueKeys({ db, kek, now: clock(), log, metrics });
        // After rotation, so lists signed by a key that just retired are re-signed by its successor.
        await republishStaleLists({ db, kek, origin: config.publicUrl, now: clock(), log, metrics });
        await dropExpiredExports({ db, now: clock });
      },
      catchUpLists: async () => {
        await republishStaleLists({ db, kek, origin: config.publicUrl, now: clock(), log, metrics });
      },
      scrapeMetrics: async () => {
        // A store that cannot be read is itself the finding: the scrape still answers, with store_up 0.
        // Keys still sealed under the previous KEK are fine while a rotation is under way.
        const gauges = await readOperationalGauges(db, kek.previous ? [kek.id, kek.previous.id] : [kek.id], clock()).catch((e: unknown) => {
          log.warn('metrics could not read the store', { error: e instanceof Error ? e.message : String(e) });
          return undefined;
        });
        prom.setOperational(gauges);
        prom.setPool(pool.usage());
        return { contentType: prom.registry.contentType, body: await prom.registry.metrics() };
      },
      close: async () => {
        await reminders?.stop();
        await webhooks?.stop();
        await exports?.stop();
        await sequencing?.stop();
        await statistics?.stop();
        await following?.stop();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
