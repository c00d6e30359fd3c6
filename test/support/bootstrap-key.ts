import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The bootstrap admin key a first start saved in DATA_DIR: `bootstrap-admin-key` for the embedded
 * database, `bootstrap-admin-key-<database id>` for PostgreSQL (one file per database, so a
 * checkout that ran on both never loses either). Exactly one must be there.
 */
export async function readBootstrapKey(dataDir: string): Promise<string> {
  const files = (await readdir(dataDir)).filter((f) => f.startsWith('bootstrap-admin-key'));
  if (files.length !== 1) throw new Error(`expected one bootstrap-admin-key file in ${dataDir}, found ${files.join(', ') || 'none'}`);
  return (await readFile(join(dataDir, files[0]!), 'utf8')).trim();
}
