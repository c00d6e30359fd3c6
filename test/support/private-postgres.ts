import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

/** Whether this machine can run a PostgreSQL 15 cluster of a test's own. */
export function privatePostgresAvailable(): boolean {
  return existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_ctl'));
}

/**
 * A PostgreSQL 15 cluster a test owns outright: its own data directory and port, so the test can
 * crash and restart it (which it must never do to the shared test server). PostgreSQL refuses to
 * run as root, so as root the binaries run as `postgres`.
 */
export interface PrivatePostgres {
  readonly url: string;
  readonly dir: string;
  readonly port: number;
  /** Runs a binary of /usr/lib/postgresql/15/bin as the cluster's owner; throws on a non-zero exit. */
  run(binary: string, args: string[]): string;
  /** Starts the stopped cluster; resolves once it accepts connections. Asynchronous, so clients keep running meanwhile. */
  start(): Promise<void>;
  /** `pg_ctl stop -m immediate`: every server process killed at once, no checkpoint, as in a crash. */
  crash(): Promise<void>;
  destroy(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

function run(binary: string, args: string[]): string {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, binary), ...args]] : [join(BIN, binary), args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${binary} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function runAsync(binary: string, args: string[]): Promise<void> {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, binary), ...args]] : [join(BIN, binary), args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    const err: string[] = [];
    child.stderr.on('data', (d: Buffer) => err.push(d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${binary} ${args.join(' ')} exited ${code}: ${err.join('')}`)),
    );
  });
}

export async function startPrivatePostgres(port: number): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'lp-private-pg-'));
  await chmod(dir, 0o700);
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    await chown(dir, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const start = () =>
    runAsync('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
  await start();
  run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-qAt', '-c', 'create database launchproof']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/launchproof`,
    dir,
    port,
    run,
    start,
    crash: () => runAsync('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    destroy: async () => {
      spawnSync(
        asRoot ? 'runuser' : join(BIN, 'pg_ctl'),
        [...(asRoot ? ['-u', 'postgres', '--', join(BIN, 'pg_ctl')] : []), '-D', data, '-m', 'fast', '-w', 'stop'],
        {
          timeout: 60_000,
        },
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
