import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '../../bin/launchproof.mjs');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Set once the process has exited, with its code or signal. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** Starts `launchproof serve` as an operator would, resolving once it prints the URL it serves. */
export function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let exit: ServiceProcess['exit'];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  child.once('exit', (code, signal) => (exit = { code, signal }));
  const handle: ServiceProcess = {
    child,
    stdout,
    stderr,
    get exit() {
      return exit;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 90s: ${stderr.join('')}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout.push(d.toString());
      if (stdout.join('').includes('launchproof serving')) {
        clearTimeout(timer);
        resolve(handle);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${stderr.join('')}`));
    });
  });
}

export function stopService(s: ServiceProcess): Promise<number | null> {
  if (s.exit) return Promise.resolve(s.exit.code);
  return new Promise((resolve) => {
    s.child.once('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}
