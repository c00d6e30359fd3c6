import type { Logger } from '../log/logger.ts';
import type { Database } from '../store/port.ts';
import type { Projection } from './projection.ts';
import { allVersions, versionSum } from './store.ts';

/** The channel migration 8's triggers NOTIFY on, with the payload `<tenant id> <version>`. */
export const PUBLICATION_CHANNEL = 'launchproof_publication';

/** Poll period: a lost notification is noticed within this, well inside the 1-second bound. */
export const DEFAULT_POLL_MS = 400;

export interface Following {
  stop(): Promise<void>;
}

/**
 * Keeps a projection current for a process that holds its database connection open (Node):
 * notifications report each change as it commits, and a poll of the sum of all versions (one
 * small statement) catches any the subscription missed, for instance while it reconnected.
 * When the sum moved, every tenant's version is read and applied. Resolves once both run, after
 * which the projection trusts its entries until told otherwise.
 */
export async function followChanges(
  projection: Projection,
  db: Database,
  log: Logger,
  /** `pollMs: false` where no notification can be lost (an embedded database only this process opens). */
  options: { pollMs?: number | false } = {},
): Promise<Following> {
  let seenTotal: string | undefined;
  let stopped = false;

  async function reload(): Promise<void> {
    const total = await versionSum(db);
    if (total === seenTotal) return;
    for (const r of await allVersions(db)) projection.applyVersion(r.tenant_id, Number(r.version));
    seenTotal = total;
  }

  const onNotify = (payload: string) => {
    const space = payload.lastIndexOf(' ');
    const version = Number(payload.slice(space + 1));
    if (space > 0 && Number.isSafeInteger(version)) projection.applyVersion(payload.slice(0, space), version);
  };
  // After a reconnect, whatever was sent meanwhile is gone: read the versions again at once.
  const onConnect = () => {
    seenTotal = undefined;
    void reload().catch((e: unknown) => log.warn('projection: reading versions after reconnecting failed', { error: String(e) }));
  };
  const unlisten = db.listen ? await db.listen(PUBLICATION_CHANNEL, onNotify, onConnect) : undefined;
  await reload();

  let failures = 0;
  const timer =
    options.pollMs === false
      ? undefined
      : setInterval(() => {
          void reload().then(
            () => {
              if (failures > 0) log.info('projection: versions readable again', { failures });
              failures = 0;
            },
            (e: unknown) => {
              // Unreadable versions mean the database is unreachable, and so is any change to it. Serving what
              // is in memory meanwhile keeps public documents up; the first successful poll catches up.
              if (failures++ === 0 && !stopped) log.warn('projection: polling versions failed', { error: String(e) });
            },
          );
        }, options.pollMs ?? DEFAULT_POLL_MS);
  // Never the reason a process stays alive (Node's timers have unref; others need not).
  (timer as { unref?: () => void } | undefined)?.unref?.();
  projection.mode = 'notified';

  return {
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      projection.mode = 'on-read';
      await unlisten?.().catch(() => {});
    },
  };
}
