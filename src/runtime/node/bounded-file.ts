import { readFile, stat } from 'node:fs/promises';

/** A file a command was pointed at but cannot use: the command reports it in one line and exits 2. */
export class UnreadableFile extends Error {}

/**
 * A file's text, refused past `maxBytes` before it is read (a wrong path can name a disk image).
 * The error names the path and the system's code, never the content: some of these files hold
 * private keys.
 */
export async function readBoundedText(path: string, what: string, maxBytes: number): Promise<string> {
  try {
    if ((await stat(path)).size > maxBytes) throw new UnreadableFile(`${what} ${path} is larger than ${maxBytes} bytes`);
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof UnreadableFile) throw e;
    throw new UnreadableFile(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
