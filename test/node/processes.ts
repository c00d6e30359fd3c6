import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Helpers that run the real `launchproof` binary as an operator would, for the operations tests. */
export const BIN = join(import.meta.dirname, '../../bin/launchproof.mjs');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Started {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
}

const running = new Set<ChildProcess>();

/** Stops every server this file started that is still running: a test that timed out must not leave one behind. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((child) => stopServer(child)));
}

/** Starts `launchproof serve`, resolving once it prints the URL it serves; rejects with its stderr if it exits first. */
export function startServer(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout.push(d.toString());
      if (stdout.join('').includes('launchproof serving')) resolve({ child, stdout, stderr });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr.join('')}`)));
  });
}

export function stopServer(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

export function runCli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
}

/** The environment of a process that must not inherit the developer's database or keys. */
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
