import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { AppError } from '../../src/errors/index.ts';
import { StatusList, type StatusBits } from '../../src/status/bitstring.ts';

export const VECTORS = new URL('./vectors/', import.meta.url);

export interface TokenStatusListVector {
  file: string;
  bits: StatusBits;
  lst: string;
  size: number;
  decoded_byte_length: number;
  nonzero_statuses: Record<string, number>;
  decoded_bytes_hex?: string;
}

export function tokenStatusListVectors(): TokenStatusListVector[] {
  return readdirSync(VECTORS)
    .filter((f) => /^encoding.*_json\.json$/.test(f))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8')) as Omit<TokenStatusListVector, 'file'>) }));
}

export function readVector<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8')) as T;
}

export { prng } from '../support/prng.ts';

export function listOf(size: number, bits: StatusBits, statuses: Record<string, number> | Iterable<[number, number]>): StatusList {
  const list = new StatusList(size, bits);
  const entries = Symbol.iterator in statuses ? statuses : Object.entries(statuses).map(([i, s]): [number, number] => [Number(i), s]);
  for (const [index, status] of entries) list.set(index, status);
  return list;
}

/** The non-zero statuses as `nonzero_statuses` spells them: {"index": status}. */
export function nonZeroRecord(list: StatusList): Record<string, number> {
  return Object.fromEntries([...list.nonZero()].map(([i, s]) => [String(i), s]));
}

/** Reads status `index` from bytes packed lsb-first, by hand, the way the IETF draft's text describes. */
export function readLsbFirst(bytes: Uint8Array, bits: number, index: number): number {
  const perByte = 8 / bits;
  const byte = bytes[Math.floor(index / perByte)]!;
  return (byte >> ((index % perByte) * bits)) & ((1 << bits) - 1);
}

/** Reads bit `index` from bytes packed msb-first, by hand: index 0 is the left-most bit of byte 0. */
export function readMsbFirst(bytes: Uint8Array, index: number): number {
  return (bytes[Math.floor(index / 8)]! >> (7 - (index % 8))) & 1;
}

export async function expectInvalidStatusList(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('invalid_status_list');
  expect((error as AppError).status).toBe(422);
  return error as AppError;
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
