import { chmod, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Config } from '../../config/index.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { UsageError } from './usage-error.ts';

/**
 * `launchproof backup FILE` and `restore FILE` for the embedded database (PGlite's own
 * dumpDataDir/loadDataDir tarball). PostgreSQL has pg_dump and pg_restore for this (README).
 *
 * Both take the data directory's lock, so they refuse while a server runs on it: PGlite is one
 * process, and a copy taken beside a live writer is not a consistent one. The backup holds the
 * signing keys sealed under the KEK, never the KEK itself.
 */

export interface DatabaseSummary {
  readonly schemaVersion: number;
  readonly tenants: number;
  readonly signingKeys: number;
  readonly credentials: number;
}

function embeddedDir(config: Config, verb: string): string {
  if (config.databaseUrl) {
    throw new UsageError(`${verb} is for the embedded database; with DATABASE_URL use pg_dump and pg_restore (README, "Backups")`);
  }
  return resolve(config.dataDir, 'pglite');
}

async function summarise(pg: PGlite): Promise<DatabaseSummary> {
  const one = async (sql: string) => Number((await pg.query<{ n: number }>(sql)).rows[0]?.n ?? 0);
  return {
    schemaVersion: await one('select coalesce(max(version), 0)::int as n from schema_migrations'),
    tenants: await one('select count(*)::int as n from tenants'),
    signingKeys: await one('select count(*)::int as n from signing_keys'),
    credentials: await one('select count(*)::int as n from credentials'),
  };
}

async function isEmptyDir(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/** Every directory under `root` 0700 and every file 0600, readable by the service's user alone, and synced. */
async function ownerOnly(root: string): Promise<void> {
  const entry = await stat(root);
  await chmod(root, entry.isDirectory() ? 0o700 : 0o600);
  if (entry.isDirectory()) for (const name of await readdir(root)) await ownerOnly(`${root}/${name}`);
  // On disk before the rename that puts it in place: a power cut must not leave a database
  // whose name says restored and whose files are still in the page cache.
  const handle = await open(root, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Syncs a directory, so a rename or link in it survives a power cut. */
async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function backupEmbedded(config: Config, file: string): Promise<DatabaseSummary & { file: string; bytes: number }> {
  const dir = embeddedDir(config, 'backup');
  const target = resolve(file);
  if (await isEmptyDir(dir)) throw new Error(`no embedded database at ${dir}`);
  // Early, for a clear message; the link below is what makes it a guarantee.
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  )
    throw new Error(`${target} exists; a backup never replaces a file: name a new one`);

  const unlock = await lockDataDir(dir);
  let dump: Blob;
  let summary: DatabaseSummary;
  try {
    const pg = await PGlite.create({ dataDir: dir });
    try {
      summary = await summarise(pg);
      dump = await pg.dumpDataDir('gzip');
    } finally {
      await pg.close();
    }
  } finally {
    await unlock();
  }

  // Written whole under a temporary name, synced, then linked into place: a reader never sees half
  // a backup, and link (unlike rename) refuses a name that appeared meanwhile.
  const partial = `${dirname(target)}/.${basename(target)}.partial-${process.pid}`;
  const bytes = new Uint8Array(await dump.arrayBuffer());
  const handle = await open(partial, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(partial, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new Error(`${target} exists; a backup never replaces a file: name a new one`, { cause: e });
    throw e;
  } finally {
    await unlink(partial).catch(() => {});
  }
  await syncDir(dirname(target));
  return { ...summary, file: target, bytes: bytes.byteLength };
}

export async function restoreEmbedded(
  config: Config,
  file: string,
  options: { force: boolean; now: Date },
): Promise<DatabaseSummary & { dir: string; setAside?: string }> {
  const dir = embeddedDir(config, 'restore');
  const dump = await readFile(resolve(file));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const unlock = await lockDataDir(dir);
  try {
    const replacing = !(await isEmptyDir(dir));
    if (replacing && !options.force) {
      throw new Error(`${dir} holds a database; restore never replaces one unless --force, which sets it aside (it deletes nothing)`);
    }
    // Loaded beside the target and moved into place once whole: a failed restore leaves nothing half-written.
    const staging = `${dir}.restoring-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    let summary: DatabaseSummary;
    const pg = await PGlite.create({ dataDir: staging, loadDataDir: new Blob([dump]) });
    try {
      summary = await summarise(pg);
    } finally {
      await pg.close();
    }
    // PGlite writes its files 0666 in 0755 directories whatever the umask; a first start makes
    // the data directory owner-only, and the database a restore moves into place must be too.
    await ownerOnly(staging);
    let setAside: string | undefined;
    if (replacing) {
      setAside = `${dir}.before-restore-${options.now.toISOString().replace(/[:.]/g, '-')}`;
      await rename(dir, setAside);
    } else {
      await rm(dir, { recursive: true, force: true });
    }
    await rename(staging, dir);
    await syncDir(dirname(dir));
    return { ...summary, dir, ...(setAside ? { setAside } : {}) };
  } finally {
    await unlock();
  }
}
