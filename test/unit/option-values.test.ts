import { describe, expect, it } from 'vitest';
import { joinOptionValues, type OptionSpec } from '../../src/runtime/node/option-values.ts';

const OPTIONS: OptionSpec = {
  'expect-kid': { type: 'string' },
  output: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
};

describe('an option that takes a value', () => {
  it('takes the next argument as its value, even one that starts with "-"', () => {
    expect(joinOptionValues(['verify', 'f', '--expect-kid', '-abc', '--json'], OPTIONS)).toEqual([
      'verify',
      'f',
      '--expect-kid=-abc',
      '--json',
    ]);
    expect(joinOptionValues(['-o', '-out.html'], OPTIONS)).toEqual(['--output=-out.html']);
  });

  it('leaves a value already joined, a boolean, a last option without value and all after -- as they are', () => {
    expect(joinOptionValues(['--expect-kid=-x', '--json', 'f'], OPTIONS)).toEqual(['--expect-kid=-x', '--json', 'f']);
    expect(joinOptionValues(['f', '--expect-kid'], OPTIONS)).toEqual(['f', '--expect-kid']);
    expect(joinOptionValues(['--', '--expect-kid', '-x'], OPTIONS)).toEqual(['--', '--expect-kid', '-x']);
  });
});
