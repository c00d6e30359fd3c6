import { readFile, unlink, writeFile } from 'node:fs/promises';

/**
 * PGlite is a single-process database: two processes opening one data directory corrupt it.
 * A pid file guards it; a lock left by a process that no longer exists is taken over.
 */
export async function lockDataDir(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return async () => {
        await unlink(path).catch(() => {});
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(`the embedded database is in use by process ${holder}; stop it, or use the HTTP API while it runs`, { cause: e });
      }
      await unlink(path).catch(() => {});
    }
  }
  throw new Error(`could not lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
