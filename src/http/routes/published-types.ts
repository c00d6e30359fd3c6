import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import readinessContext from '../../../wellknown/contexts/launch-readiness-v1.json' with { type: 'json' };
import credentialSchema from '../../../wellknown/schemas/launch-readiness-credential.schema.json' with { type: 'json' };
import { typeMetadata } from '../../credentials/type-metadata.ts';
import { readinessJsonSchemas } from '../../readiness/index.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { servePublic } from '../public-json.ts';
import { constantDocuments, type PublicDocument } from '../../projection/documents.ts';
import type { Context } from 'hono';
import { problem } from '../schemas.ts';

const json = (description: string) => ({ description, content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } });

/** The JSON Schemas a verifier or a tenant's tooling validates against, by their published names. */
const SCHEMAS: Record<string, unknown> = {
  'launch-readiness-credential': credentialSchema,
  ...readinessJsonSchemas(),
};

export function registerPublishedTypes(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  const constant = constantDocuments();
  const maxAge = deps.config.publicCacheSeconds;
  // The same bytes for the life of the process: every later GET of the path may have them.
  const serveConstant = (c: Context<AppEnv>, doc: PublicDocument) => servePublic(c, doc, maxAge, { again: () => ({ doc, maxAge }) });
  // The type metadata is served from its exact bytes: `vct#integrity` in every SD-JWT VC is their digest.
  for (const path of ['/types/launch-readiness/v1', '/.well-known/vct/types/launch-readiness/v1']) {
    app.openapi(
      createRoute({
        method: 'get',
        path,
        tags: ['public'],
        summary: 'SD-JWT VC type metadata of the launch readiness attestation',
        responses: { 200: json('Type metadata'), 304: { description: 'Not modified' } },
      }),
      async (c) => {
        const doc = await constant('type-metadata', async () => (await typeMetadata(deps.config.publicUrl)).body);
        return serveConstant(c, doc) as never;
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/contexts/launch-readiness/v1',
      tags: ['public'],
      summary: 'JSON-LD context of the launch readiness credential (VC Data Model 2.0)',
      responses: { 200: json('JSON-LD context'), 304: { description: 'Not modified' } },
    }),
    async (c) => serveConstant(c, await constant('context', () => readinessContext, 'application/ld+json')) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schemas/{name}',
      tags: ['public'],
      summary: 'Published JSON Schemas (credential, readiness profile, readiness assessment)',
      request: {
        params: z.object({
          name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'launch-readiness-credential.schema.json' }),
        }),
      },
      responses: { 200: json('JSON Schema'), 304: { description: 'Not modified' }, 404: problem('No such schema') },
    }),
    async (c) => {
      const name = c.req.valid('param').name.replace(/\.schema\.json$/, '');
      const schema = Object.hasOwn(SCHEMAS, name) ? SCHEMAS[name] : undefined;
      if (!schema) return c.notFound() as never;
      return serveConstant(c, await constant(`schema:${name}`, () => schema, 'application/schema+json')) as never;
    },
  );
}
