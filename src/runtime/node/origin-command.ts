import { recordEvent } from '../../audit/events.ts';
import type { Config } from '../../config/index.ts';
import { issuerIdentity } from '../../did/issuer-identity.ts';
import { moveOrigin } from '../../deployment/origin.ts';
import { readDeployment } from '../../deployment/store.ts';
import { migrate } from '../../store/migrations.ts';
import { acrossTenants } from '../../store/tenant-scope.ts';
import { PLATFORM_TENANT_ID } from '../../tenants/tenant-id.ts';
import { isExistingTenant } from '../../tenants/tenants.ts';
import { loadMigrations } from './migration-files.ts';
import { openDatabase } from './open-database.ts';
import { UsageError } from './usage-error.ts';

function parseOrigin(text: string | undefined, config: Config): URL {
  if (!text) throw new UsageError('origin set takes the new origin, e.g. https://issuer.example.com');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${text} is not a URL`);
  }
  if (!/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password)
    throw new UsageError('the origin is scheme, host and port only (http or https, no path)');
  if (config.environment === 'production' && url.protocol !== 'https:') throw new UsageError('production origins are https');
  return url;
}

/**
 * `origin show` and `origin set URL`: the one deliberate way to change the recorded origin. It
 * opens the database itself rather than through openService, which refuses to open for a
 * process whose origin differs: exactly the situation a move is for.
 */
export async function originCommand(config: Config, sub: string | undefined, rest: readonly string[]): Promise<number> {
  if (sub !== 'show' && sub !== 'set') throw new UsageError('origin show | origin set URL');
  const target = sub === 'set' ? parseOrigin(rest[0], config) : undefined;
  const db = await openDatabase(config);
  try {
    await migrate(db, await loadMigrations());
    if (!target) {
      const { origin } = await readDeployment(db);
      process.stdout.write(`${JSON.stringify({ origin, this_process: config.publicUrl.origin }, null, 2)}\n`);
      return 0;
    }
    const now = new Date();
    const moved = await acrossTenants(db, async (tx) => {
      const change = await moveOrigin(tx, target, now);
      if ((await isExistingTenant(tx, PLATFORM_TENANT_ID)) && change.from !== change.to) {
        await recordEvent(tx, {
          tenantId: PLATFORM_TENANT_ID,
          at: now,
          actor: 'cli',
          action: 'deployment.origin_moved',
          target: change.to,
          detail: { from: change.from, to: change.to },
        });
      }
      return change;
    });
    process.stdout.write(
      `${JSON.stringify(
        {
          from: moved.from,
          to: moved.to,
          platform_did: issuerIdentity(target, PLATFORM_TENANT_ID).did,
          warning:
            'every did:web identifier and status-list URL now names the new origin: credentials issued before the move verify only while the old origin keeps serving its documents; set PUBLIC_URL to the new origin on every process',
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}
