import type { Config } from '../../config/index.ts';
import type { Deployment } from '../../deployment/store.ts';
import type { Logger } from '../../log/logger.ts';
import { dataPath } from './open-database.ts';
import { writeOwnerOnly } from './secret-files.ts';

/**
 * The file the bootstrap admin key is saved to, named after the database it opens: one
 * DATA_DIR may have served the embedded database and then PostgreSQL (or several), and each
 * has a root key of its own. The embedded database lives in DATA_DIR, so its file keeps the
 * plain name the README has always shown.
 */
export function bootstrapKeyPath(config: Config, deployment: Deployment): string {
  return dataPath(config, config.databaseUrl === undefined ? 'bootstrap-admin-key' : `bootstrap-admin-key-${deployment.databaseId}`);
}

/**
 * The bootstrap admin token is the one secret ever written to the terminal: it exists nowhere
 * else in clear, and the operator needs it to do anything at all. It is already committed, so
 * it must not be lost (issue 11, defect 2): a file that cannot be written costs a warning,
 * never the key, which is then printed.
 *
 * Where it is printed differs. In development it is printed first (stderr, not the log) and then
 * saved. In production stderr is a container's log stream, shipped and kept where no secret
 * belongs: the key is saved first and only its path is printed, unless saving fails.
 */
export async function announceBootstrapToken(
  path: string,
  token: string | undefined,
  log: Logger,
  options: { production: boolean },
): Promise<void> {
  if (!token) return;
  const print = () => process.stderr.write(`\nBootstrap platform admin API key (shown once):\n\n  ${token}\n\n`);
  if (!options.production) print();
  try {
    await writeOwnerOnly(path, `${token}\n`);
    process.stderr.write(
      options.production
        ? `\nBootstrap platform admin API key saved, readable by its owner only, to ${path} (not printed: this is production)\n\n`
        : `Saved, readable by its owner only, to ${path}\n\n`,
    );
  } catch (e) {
    if (options.production) print();
    log.warn('the bootstrap admin key was printed above but could not be saved; copy it now', {
      path,
      error: (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e)),
    });
  }
}
