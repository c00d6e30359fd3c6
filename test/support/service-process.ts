import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/**
 * The real `launchproof` binary, run as an operator runs it, for the tests of the process itself:
 * the production entry (what `npm start` and the image run, dist/launchproof.js), built from this
 * checkout once per run by global-setup.ts. Not bin/launchproof.mjs, whose tsx compiles the
 * sources again in every process: 2.3-2.6 s a console command against 0.5-0.8 s built
 * (`assessment template`, measured here), and these tests start over a hundred. The tsx
 * entry keeps tests of its own: test/node/entry-point.test.ts and port-in-use.test.ts, and every
 * `npx launchproof` of the README test.
 */
export const BIN = process.env.VITEST
  ? inject('builtCli')
  : // Outside a test run (the benches import this file for baseEnv and runCli) there is no built copy to inject.
    fileURLToPath(new URL('../../bin/launchproof.mjs', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The environment of a process that must not inherit the developer's database, keys or origin. */
export function baseEnv(dataDir: string, port: number): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    PORT: String(port),
    LAUNCHPROOF_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: '',
    KEY_ENCRYPTION_KEY: '',
    KEY_ENCRYPTION_KEY_PREVIOUS: '',
    PUBLIC_URL: '',
    TRUSTED_ISSUERS: '',
  };
}

/** A console command, run to completion; the time limit only ends one that hung. */
export function runCli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Set once the process has exited, with its code or signal. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM, resolved with the exit code (at once if it already exited). */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `launchproof serve`, resolving once it prints the URL it serves, rejecting with its
 * stderr if it exits first. No time limit of its own: a start on a loaded machine is slow, not
 * wrong, and the test's own limit ends one that hung.
 */
export function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  let exit: ServiceProcess['exit'];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    running.delete(child);
  });
  const handle: ServiceProcess = {
    child,
    stdout,
    stderr,
    get exit() {
      return exit;
    },
    stop: () => stopService(handle),
  };
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout.push(d.toString());
      if (stdout.join('').includes('launchproof serving')) resolve(handle);
    });
    child.once('exit', (code) => reject(new Error(`launchproof serve exited ${code}: ${stderr.join('')}`)));
  });
}

export function stopService(s: Pick<ServiceProcess, 'child' | 'exit'>): Promise<number | null> {
  if (s.exit) return Promise.resolve(s.exit.code);
  return new Promise((resolve) => {
    s.child.once('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}

/** Stops every service still running that startService started: a test that timed out must not leave one behind. */
export async function stopAllServices(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}
