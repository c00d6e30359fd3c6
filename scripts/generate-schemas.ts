// Writes wellknown/schemas/readiness-*.schema.json from the zod schemas; test/readiness fails
// when the committed files are stale. Run: npx tsx scripts/generate-schemas.ts
import { mkdir, writeFile } from 'node:fs/promises';
import { renderReadinessSchemas } from './readiness-schemas.ts';

for (const { url, text } of await renderReadinessSchemas()) {
  await mkdir(new URL('./', url), { recursive: true });
  await writeFile(url, text);
  console.log(`wrote ${url.pathname}`);
}
