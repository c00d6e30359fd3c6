import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN } from './service-process.ts';

const NO_NETWORK = pathToFileURL(join(import.meta.dirname, '../node/fixtures/no-network.mjs')).href;

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Node with `args`, as the offline commands must run: every network call refused
 * (fixtures/no-network.mjs), and a configuration that could not serve (a bad PORT, an
 * unresolvable DATABASE_URL), so a command that reads configuration or the network fails
 * loudly. Asynchronous, so several run at once; the time limit only ends one that hung.
 */
export function offlineNode(args: string[]): Promise<Run> {
  const env = {
    ...process.env,
    NODE_OPTIONS: `--import ${NO_NETWORK}`,
    PORT: 'eighty',
    DATABASE_URL: 'postgres://launchproof@db.invalid/launchproof',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env, encoding: 'utf8', timeout: 240_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** `launchproof ARGS…`, offline (see offlineNode). */
export const offlineCli = (...args: string[]): Promise<Run> => offlineNode([BIN, ...args]);
