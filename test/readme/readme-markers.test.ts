import { describe, expect, it } from 'vitest';
import { readmeBlocks } from './readme-blocks.ts';

const fence = '```';

describe('README shell blocks and their readme-test markers', () => {
  it('reads each sh block with its fence line, a skip with its reason and a needs with its variable, across the blank line prettier adds', () => {
    const md = [
      '# x', // 1
      `${fence}sh`, // 2
      'echo one',
      fence,
      '<!-- readme-test: skip (needs a cloud account) -->', // 5
      '',
      `${fence}sh`, // 7
      'deploy',
      fence,
      '<!-- readme-test: needs TEST_POSTGRES_URL (a database to run against) -->', // 10
      `${fence}sh`, // 11
      'psql',
      fence,
      `${fence}json`,
      '{}',
      fence,
    ].join('\n');
    expect(readmeBlocks(md)).toEqual([
      { line: 2, text: 'echo one' },
      { line: 7, text: 'deploy', skip: 'needs a cloud account' },
      { line: 11, text: 'psql', needs: { variable: 'TEST_POSTGRES_URL', reason: 'a database to run against' } },
    ]);
  });

  it('refuses a skip without a reason, an unknown marker and a block that never closes', () => {
    expect(() => readmeBlocks(`<!-- readme-test: skip -->\n${fence}sh\nx\n${fence}`)).toThrow(
      /line 1: a readme-test skip must give its reason/,
    );
    expect(() => readmeBlocks(`<!-- readme-test: maybe (x) -->\n${fence}sh\nx\n${fence}`)).toThrow(/line 1: unknown readme-test marker/);
    expect(() => readmeBlocks(`${fence}sh\nx\n`)).toThrow(/line 1: a shell block that never closes/);
  });
});
