import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../errors/index.ts';
import { base64urlEncode } from '../../util/base64url.ts';
import type { WebAssets } from '../../web/assets.ts';
import type { AppEnv } from '../context.ts';
import { problem } from '../schemas.ts';

/** Short, as for the pages: a deployment's new script reaches every browser within five minutes. */
const SCRIPT_MAX_AGE_SECONDS = 300;

async function sha256Etag(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return `"${base64urlEncode(new Uint8Array(digest))}"`;
}

const matches = (ifNoneMatch: string | undefined, etag: string) =>
  ifNoneMatch !== undefined && (ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag));

/**
 * The verification page's script. A deployment built without it (a Worker whose build made no
 * bundle) answers 404, and its pages still work through the server's check.
 */
export function registerAssets(app: OpenAPIHono<AppEnv>, assets: WebAssets | undefined) {
  // The script is the same for the life of the process: its ETag is computed once, on first use.
  let etag: Promise<string> | undefined;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/assets/verify.js',
      tags: ['pages'],
      summary: 'The browser build of the verification pipeline, used by the verification and share pages',
      responses: {
        200: { description: 'JavaScript', content: { 'application/javascript': { schema: z.string() } } },
        304: { description: 'Not modified' },
        404: problem('This deployment serves no browser build'),
      },
    }),
    async (c) => {
      if (!assets) throw new AppError('not_found', 'this deployment was built without the browser verifier');
      etag ??= sha256Etag(assets.verifyScript);
      const headers = { etag: await etag, 'cache-control': `public, max-age=${SCRIPT_MAX_AGE_SECONDS}` };
      if (matches(c.req.header('if-none-match'), headers.etag)) return new Response(null, { status: 304, headers }) as never;
      return new Response(assets.verifyScript, {
        headers: { ...headers, 'content-type': 'application/javascript; charset=utf-8' },
      }) as never;
    },
  );
}
