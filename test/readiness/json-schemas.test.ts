import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderReadinessSchemas } from '../../scripts/readiness-schemas.ts';

// A validator check of these files needs a draft 2020-12 validator; the only one installed is
// ajv 6 (draft-07, pulled in by eslint), so none is run here.
describe('published JSON Schemas', () => {
  it('match what scripts/generate-schemas.ts produces from the zod schemas', async () => {
    const rendered = await renderReadinessSchemas();
    expect(rendered.map((r) => r.url.pathname.split('/').slice(-2).join('/'))).toEqual([
      'schemas/readiness-profile.schema.json',
      'schemas/readiness-assessment.schema.json',
    ]);
    for (const { url, text } of rendered) {
      expect(await readFile(url, 'utf8'), `${url.pathname} is stale: run npx tsx scripts/generate-schemas.ts`).toBe(text);
    }
  });

  it('are draft 2020-12 schemas that refuse unknown members', async () => {
    for (const { text } of await renderReadinessSchemas()) {
      const schema = JSON.parse(text) as { $schema: string; additionalProperties: boolean };
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.additionalProperties).toBe(false);
    }
  });
});
