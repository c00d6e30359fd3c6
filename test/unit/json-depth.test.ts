import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../src/http/middleware/json-depth.ts';

describe('how deep a JSON text nests, read without parsing it', () => {
  it('counts arrays and objects alike, and only nesting (not how many siblings)', () => {
    expect(nestsDeeperThan('[[[1]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[1]]]]', 3)).toBe(true);
    expect(nestsDeeperThan('{"a":{"b":[{}]}}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":{"b":[{"c":[]}]}}', 4)).toBe(true);
    expect(nestsDeeperThan(`[${'[],'.repeat(10_000)}[]]`, 2)).toBe(false);
  });
  it('reads brackets inside strings as text, escaped quotes included', () => {
    expect(nestsDeeperThan('["[[[[[[", "{{{{"]', 1)).toBe(false);
    expect(nestsDeeperThan('["a\\\\"]', 1)).toBe(false);
    expect(nestsDeeperThan('["\\"[[[[[[["]', 1)).toBe(false);
    expect(nestsDeeperThan('["\\\\", [[1]]]', 2)).toBe(true);
  });
});
