import { format, resolveConfig } from 'prettier';
import { readinessJsonSchemas } from '../src/readiness/json-schemas.ts';

const root = new URL('../', import.meta.url);

/**
 * The committed schema files, byte for byte: formatted with the repository's Prettier settings
 * so `prettier --check` and the freshness test agree on one text.
 */
export async function renderReadinessSchemas(): Promise<{ url: URL; text: string }[]> {
  return Promise.all(
    Object.entries(readinessJsonSchemas()).map(async ([name, schema]) => {
      const url = new URL(`wellknown/schemas/${name}.schema.json`, root);
      const config = (await resolveConfig(url)) ?? {};
      return { url, text: await format(JSON.stringify(schema), { ...config, filepath: url.pathname }) };
    }),
  );
}
