import type { Config } from '../../config/index.ts';
import { createApp } from '../../http/app.ts';
import type { KeyEncryptionKey } from '../../keys/key-crypto.ts';
import { keysSealedUnderOtherKek } from '../../keys/kek-check.ts';
import { rotateDueKeys } from '../../keys/sweep.ts';
import { republishStaleLists } from '../../status/sweep.ts';
import { BackgroundWork } from '../../util/background.ts';
import { createJsonLogger, type Logger } from '../../log/logger.ts';
import { guardConnectingRole } from '../../store/connecting-role.ts';
import { migrationRecords } from '../../store/migration-state.ts';
import { migrate } from '../../store/migrations.ts';
import type { Database } from '../../store/port.ts';
import { bootstrap, type BootstrapOutcome } from '../../tenants/bootstrap.ts';
import { resolveKek } from './kek.ts';
import { loadMigrations } from './migration-files.ts';
import { openDatabase } from './open-database.ts';
import { resolveHostNode } from './public-address.ts';
import { buildWebAssets } from './web-assets.ts';

export interface Service {
  readonly config: Config;
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly log: Logger;
  readonly app: ReturnType<typeof createApp>;
  readonly bootstrap: BootstrapOutcome;
  /** Work requests leave running (status-list re-signing); `close` waits for it. */
  readonly background: BackgroundWork;
  /** Runs the scheduled work once (the timer calls this): key rotation, then stale status lists. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

/** Everything `npm start` needs, short of listening: storage migrated, bootstrap done, app built. */
export async function openService(
  config: Config,
  // `pages: false` for console commands: they serve no page, and esbuild costs them a noticeable pause.
  options: { clock?: () => Date; log?: Logger; pages?: boolean } = {},
): Promise<Service> {
  const log = options.log ?? createJsonLogger(config.logLevel);
  const clock = options.clock ?? (() => new Date());
  const kek = await resolveKek(config, log);
  const db = await openDatabase(config);
  try {
    // Before migrating: a refused deployment changes nothing.
    await guardConnectingRole(db, config.environment, log);
    const files = await loadMigrations();
    const report = await migrate(db, files);
    if (report.applied.length > 0) log.info('migrations applied', { applied: report.applied, engine: db.engine });
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
    const app = createApp({
      config,
      kek,
      clock,
      log,
      fetch: (input, init) => fetch(input, init),
      resolveHost: resolveHostNode,
      migrations: await migrationRecords(files),
      ...(webAssets ? { webAssets } : {}),
    });
    const background = new BackgroundWork();
    return {
      config,
      db,
      kek,
      log,
      app,
      bootstrap: outcome,
      background,
      sweep: async () => {
        await rotateDueKeys({ db, kek, now: clock(), log });
        // After rotation, so lists signed by a key that just retired are re-signed by its successor.
        await republishStaleLists({ db, kek, origin: config.publicUrl, now: clock(), log });
      },
      close: async () => {
        await background.settled();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
