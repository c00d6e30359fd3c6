import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Config } from '../config/index.ts';
import type { AppEnv } from './context.ts';
import { guardRequirement } from './middleware/auth.ts';
import { OPERATION_DOCS } from './operation-docs.ts';
import { operationsOf, type ApiDocument, type ApiOperation } from '../pages/api-document.ts';

export { operationsOf, type ApiDocument, type ApiOperation } from '../pages/api-document.ts';

function sentenceFor(roles: readonly string[], platformOnly: boolean, op: ApiOperation): string {
  if (roles.length > 0) {
    const who = roles.length === 1 ? `the role \`${roles[0]}\`` : `one of the roles ${roles.map((r) => `\`${r}\``).join(', ')}`;
    const scope = platformOnly ? 'a platform credential holding' : 'a bearer credential holding';
    return `Requires ${scope} ${who}.`;
  }
  if (op.security?.some((s) => 'oid4vciAccessToken' in s))
    return 'Requires an OID4VCI access token from the tenant’s token endpoint; no role.';
  return 'Public: no credential, no role.';
}

/**
 * /openapi.json: the document generated from the routes' zod schemas, with each operation's
 * required roles read from the guard that enforces them (`x-required-roles`, empty when public)
 * and said again in its description, so the reference cannot drift from the code.
 */
export function apiDocument(app: OpenAPIHono<AppEnv>, config: Config): ApiDocument {
  const doc = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'launchproof', version: '0.1.0', description: 'Verifiable-credential issuer for launch-readiness attestations.' },
    servers: [{ url: config.publicUrl.origin }],
  }) as unknown as ApiDocument;
  // The router keeps each route's middleware as handlers of that route (the OpenAPI registry drops it).
  const requirements = new Map<string, { roles: readonly string[]; platformOnly: boolean }>();
  for (const route of app.routes) {
    const found = guardRequirement(route.handler);
    if (!found) continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    requirements.set(`${route.method.toLowerCase()} ${path}`, { roles: found.roles, platformOnly: found.platformOnly ?? false });
  }
  for (const { method, path, op } of operationsOf(doc)) {
    const req = requirements.get(`${method} ${path}`) ?? { roles: [], platformOnly: false };
    op['x-required-roles'] = [...req.roles];
    if (req.platformOnly) op['x-platform-only'] = true;
    const prose = OPERATION_DOCS[`${method.toUpperCase()} ${path}`];
    if (prose) {
      op.operationId ??= prose.operationId;
      op.description = op.description ? `${op.description}\n\n${prose.description}` : prose.description;
      const media = Object.values(op.requestBody?.content ?? {})[0];
      if (media && media.example === undefined && media.examples === undefined && prose.example !== undefined)
        media.example = prose.example;
    }
    const sentence = sentenceFor(req.roles, req.platformOnly, op);
    op.description = op.description ? `${op.description}\n\n${sentence}` : sentence;
  }
  return doc;
}
