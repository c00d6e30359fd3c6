/**
 * The processes and scratch directories a side-by-side benchmark starts, and their clean-up.
 * Every server runs in a child process so the load generator (in the bench process) never
 * shares a thread with what it measures; whatever way the bench ends (done, thrown, Ctrl-C),
 * nothing it started may keep running or stay on disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<ChildProcess>();
const dirs = new Set<string>();

// Synchronous on purpose: 'exit' handlers cannot wait, and a signal must not leave servers behind.
function killAllNow(): void {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.once('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllNow();
    process.exit(130);
  });
}

/** A scratch directory under the system's temporary directory, removed by `cleanUp` or at exit. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  dirs.add(dir);
  return dir;
}

/** Secrets a child may print on failure (launchproof API keys start with `lp_`): never echoed. */
export function redact(text: string): string {
  return text.replace(/lp_[A-Za-z0-9_-]{8,}/g, 'lp_[redacted]');
}

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** What the child printed when it became ready (its first matching stdout line). */
  readonly readyLine: string;
  stop(): Promise<void>;
}

/**
 * Starts a child and resolves once a stdout line matches `ready`; rejects (with its stderr,
 * redacted) if it exits first or is not ready within `timeoutMs`. `args` follow `node`.
 */
export function startChild(args: string[], env: Record<string, string>, ready: RegExp, timeoutMs = 120_000): Promise<Child> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    // Bounded: a chatty child must not grow the bench's memory for the whole run.
    if (stderr.length < 200) stderr.push(d.toString());
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} not ready after ${timeoutMs} ms: ${redact(stderr.join(''))}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => ready.test(l));
      if (line === undefined) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // keep draining: a full pipe would block the child
      resolve({ process: child, pid: child.pid!, readyLine: line, stop: () => stopChild(child) });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before it was ready: ${redact(stderr.join(''))}`));
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited within 10 s (a server draining its pool may take a moment). */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Stops every child still running and removes every scratch directory. */
export async function cleanUp(): Promise<void> {
  await Promise.all([...live].map(stopChild));
  await Promise.all([...dirs].map((d) => rm(d, { recursive: true, force: true })));
  dirs.clear();
}

/** Resident set size of a process, in MiB, from /proc/PID/status (Linux). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb[1]) / 1024;
}

/** The port a child announced on its ready line, `listening PORT`. */
export function announcedPort(child: Child): number {
  const m = /listening (\d+)/.exec(child.readyLine);
  if (!m) throw new Error(`no port in "${child.readyLine}"`);
  return Number(m[1]);
}
