import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guardConnectionSource } from '../../src/runtime/node/postgres-guard.ts';

const connectionJs = () => readFile(join(import.meta.dirname, '../../node_modules/postgres/src/connection.js'), 'utf8');

describe('the postgres.js guard (defect 1)', () => {
  it('applies to the installed driver and keeps every line where it was, so its stack traces stay true', async () => {
    const source = await connectionJs();
    const guarded = guardConnectionSource(source);
    expect(guarded).not.toBe(source);
    expect(guarded.split('\n')).toHaveLength(source.split('\n').length);
    expect(guarded).toContain('if (socket === null) return');
  });

  it('refuses a driver whose text is not the reviewed one, rather than loading it unguarded', async () => {
    const changed = (await connectionJs()).replace('    const x = socket.write(chunk, fn)\n', '    const x = socket?.write(chunk, fn)\n');
    expect(() => guardConnectionSource(changed)).toThrow(/not the reviewed 3\.4\.9 text \(nextWrite/);
  });
});
