import type { Config } from '../../config/index.ts';
import { doctorPassed, formatReport, runDoctor } from '../../doctor/checks.ts';
import { importKeyEncryptionKey, withPreviousKek, type KeyEncryptionKey } from '../../keys/key-crypto.ts';
import { createSafeFetch } from '../../verify/remote/safe-fetch.ts';
import { migrationRecords } from '../../store/migration-state.ts';
import { loadMigrations } from './migration-files.ts';
import { dataPath, openDatabase } from './open-database.ts';
import { createPinnedEdge } from './pinned-fetch.ts';
import { readIfExists } from './secret-files.ts';

/**
 * The KEK as the service would use it, except that nothing is generated: the doctor changes
 * nothing, so a development deployment without its generated file reports "none".
 */
async function configuredKek(config: Config): Promise<{ kek: KeyEncryptionKey | undefined; source: string }> {
  if (config.keyEncryptionKey) {
    const current = await importKeyEncryptionKey(config.keyEncryptionKey);
    if (!config.previousKeyEncryptionKey) return { kek: current, source: 'KEY_ENCRYPTION_KEY' };
    return {
      kek: withPreviousKek(current, await importKeyEncryptionKey(config.previousKeyEncryptionKey)),
      source: 'KEY_ENCRYPTION_KEY, with KEY_ENCRYPTION_KEY_PREVIOUS',
    };
  }
  const path = dataPath(config, 'kek');
  const generated = await readIfExists(path);
  return generated
    ? { kek: await importKeyEncryptionKey(generated), source: `generated development key ${path}` }
    : { kek: undefined, source: 'KEY_ENCRYPTION_KEY unset' };
}

/** `launchproof doctor [--json]`: the deployment's configuration and data, checked read-only before it serves. */
export async function doctorCommand(config: Config, options: { json: boolean }, write: (text: string) => Promise<void>): Promise<number> {
  const { kek, source } = await configuredKek(config);
  const db = await openDatabase(config);
  try {
    const results = await runDoctor({
      db,
      config,
      kek,
      kekSource: source,
      migrations: await migrationRecords(await loadMigrations()),
      clock: () => new Date(),
      fetchJson: createSafeFetch({ fetch: createPinnedEdge() }),
    });
    const passed = doctorPassed(results);
    await write(options.json ? `${JSON.stringify({ ok: passed, checks: results }, null, 2)}\n` : formatReport(results));
    return passed ? 0 : 1;
  } finally {
    await db.close();
  }
}
