import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterApart } from '../../src/runtime/pglite/create-apart.ts';
import { openPglite } from '../../src/runtime/pglite/database.ts';

/**
 * A new data directory's cluster is made by a child process (its initdb memory goes back to the
 * system when it exits): what the server then opens is an ordinary PGlite database, and a
 * directory that already holds one is left exactly as it is.
 */
describe('creating the embedded database apart', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'launchproof-create-apart-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('makes a cluster the server opens, keeps what is written to it, and leaves it alone afterwards', async () => {
    const dir = join(root, 'pglite');
    await createClusterApart(dir);
    expect((await readFile(join(dir, 'PG_VERSION'), 'utf8')).trim()).toMatch(/^\d+$/);
    let db = await openPglite(dir);
    await db.exec('create table kept (v text); insert into kept values ($$written once$$)');
    await db.close();

    const before = (await stat(join(dir, 'PG_VERSION'))).mtimeMs;
    await createClusterApart(dir);
    expect((await stat(join(dir, 'PG_VERSION'))).mtimeMs).toBe(before);
    db = await openPglite(dir);
    try {
      expect(await db.query<{ v: string }>('select v from kept')).toEqual([{ v: 'written once' }]);
    } finally {
      await db.close();
    }
  });

  it('gives up on a child that does not finish, rather than hang the start, and leaves no half-made database', async () => {
    const dir = join(root, 'slow');
    await mkdir(dir);
    await expect(createClusterApart(dir, 50)).rejects.toThrow(/creating the embedded database in .*slow failed \(exit SIGKILL\)/);
    expect(await readdir(dir)).toEqual([]);
    expect((await readdir(root)).filter((n) => n.startsWith('slow.'))).toEqual([]);
  });

  it('clears what a start killed during its initdb left beside the directory', async () => {
    const dir = join(root, 'after-kill');
    await mkdir(dir);
    await mkdir(join(root, 'after-kill.creating-999999'));
    await writeFile(join(root, 'after-kill.creating-999999', 'PG_VERSION'), '15');
    await createClusterApart(dir);
    expect((await readdir(root)).filter((n) => n.startsWith('after-kill.'))).toEqual([]);
    expect((await readFile(join(dir, 'PG_VERSION'), 'utf8')).trim()).toMatch(/^\d+$/);
  });

  it('refuses a directory that holds files but no database, and leaves them as they are', async () => {
    const dir = join(root, 'cluttered');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await expect(createClusterApart(dir)).rejects.toThrow(/cluttered holds files but no database \(no PG_VERSION\)/);
    expect(await readdir(dir)).toEqual(['notes.txt']);
    expect((await readdir(root)).filter((n) => n.startsWith('cluttered.'))).toEqual([]);
  });
});
