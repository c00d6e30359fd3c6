import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of the nearest package.json above the module at `moduleUrl`. Files shipped beside the code
 * (migrations/) are found from here rather than by a fixed number of `..`, because the same
 * module runs at two depths: as src/runtime/node/*.ts under tsx, and bundled into dist/cli.js.
 */
export function packageRoot(moduleUrl: string = import.meta.url): string {
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}
