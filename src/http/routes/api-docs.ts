import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { renderApiReference } from '../../pages/api-reference.ts';
import { renderPage } from '../../pages/layout.ts';
import { htmlResponse } from '../../pages/page-response.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { apiDocument, type ApiDocument } from '../openapi-document.ts';

const REFERENCE_SECONDS = 300;

/**
 * /openapi.json and /docs, its rendering. Registered last: the document covers every route
 * registered before it, and is built once, on first request (the routes are fixed by then).
 */
export function registerApiDocs(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  let doc: ApiDocument | undefined;
  let page: string | undefined;
  const documented = () => (doc ??= apiDocument(app, deps.config));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/docs',
      tags: ['pages'],
      operationId: 'getApiReference',
      summary: 'This API reference, as a page',
      description:
        'Every operation of /openapi.json with its operationId, description, required roles, parameters, a request example and its responses, rendered by the service itself: no script and nothing loaded from elsewhere.',
      responses: { 200: { description: 'The reference', content: { 'text/html': { schema: z.string() } } } },
    }),
    () => htmlResponse((page ??= renderPage(renderApiReference(documented()))), 200, { maxAge: REFERENCE_SECONDS }) as never,
  );
  app.get('/openapi.json', (c) => c.json(documented()));
}
