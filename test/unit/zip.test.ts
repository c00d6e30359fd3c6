import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { crc32, readZip, writeZip, ZipError } from '../../src/util/zip.ts';

/*
 * The stored zip of audit packages, checked against an implementation it shares nothing with:
 * Python's zipfile module reads what writeZip makes (names, bytes, CRCs, dates), and readZip
 * reads what zipfile writes.
 */

const utf8 = new TextEncoder();
const python = (script: string, input: string) =>
  spawnSync('python3', ['-c', script], { input, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });

describe('the stored zip writer and reader', () => {
  const files = [
    { name: 'package.json', data: utf8.encode('{"a":1}\n') },
    { name: 'entries.csv', data: utf8.encode('record,index\r\n'.repeat(500)) },
    { name: 'ünïcode/é.txt', data: utf8.encode('naïve — ok\n') },
    { name: 'empty.txt', data: new Uint8Array() },
    { name: 'bytes.bin', data: Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) & 0xff) },
  ];

  it('gives the CRC-32 of the check value (ISO 3309: "123456789" → cbf43926)', () => {
    expect(crc32(utf8.encode('123456789')).toString(16)).toBe('cbf43926');
  });

  it('writes an archive Python’s zipfile opens, tests and reads back byte for byte', () => {
    const zip = writeZip(files, new Date('2026-03-04T05:06:08Z'));
    const run = python(
      `import base64, io, json, sys, zipfile
z = zipfile.ZipFile(io.BytesIO(base64.b64decode(sys.stdin.read())))
assert z.testzip() is None
print(json.dumps([{"name": i.filename, "data": base64.b64encode(z.read(i)).decode(), "date": list(i.date_time), "type": i.compress_type} for i in z.infolist()]))`,
      Buffer.from(zip).toString('base64'),
    );
    expect(run.status, run.stderr).toBe(0);
    const read = JSON.parse(run.stdout) as { name: string; data: string; date: number[]; type: number }[];
    expect(read.map((f) => f.name)).toEqual(files.map((f) => f.name));
    expect(read.map((f) => Buffer.from(f.data, 'base64'))).toEqual(files.map((f) => Buffer.from(f.data)));
    expect(read[0]!.date).toEqual([2026, 3, 4, 5, 6, 8]);
    expect(read.every((f) => f.type === 0)).toBe(true);
  });

  it('reads a stored archive Python’s zipfile wrote, and refuses a compressed one or a changed byte', () => {
    const make = (method: string) =>
      python(
        `import base64, io, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.${method}) as z:
    z.writestr("a.txt", "alpha\\n" * 50)
    z.writestr("b/c.json", '{"x": 1}')
print(base64.b64encode(b.getvalue()).decode())`,
        '',
      );
    const stored = make('ZIP_STORED');
    expect(stored.status, stored.stderr).toBe(0);
    const bytes = new Uint8Array(Buffer.from(stored.stdout.trim(), 'base64'));
    const read = readZip(bytes);
    expect(read.map((f) => [f.name, new TextDecoder().decode(f.data)])).toEqual([
      ['a.txt', 'alpha\n'.repeat(50)],
      ['b/c.json', '{"x": 1}'],
    ]);
    const changed = bytes.slice();
    changed[40] = changed[40]! ^ 1; // inside the data of a.txt
    expect(() => readZip(changed)).toThrow(/CRC-32/);
    const deflated = make('ZIP_DEFLATED');
    expect(() => readZip(new Uint8Array(Buffer.from(deflated.stdout.trim(), 'base64')))).toThrow(ZipError);
    expect(() => readZip(utf8.encode('not a zip at all'))).toThrow(ZipError);
  });
});
