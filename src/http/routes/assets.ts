import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../errors/index.ts';
import { compress } from '../../status/compression.ts';
import { base64urlEncode } from '../../util/base64url.ts';
import { sha256 } from '../../util/sha256.ts';
import type { WebAssets } from '../../web/assets.ts';
import { acceptsGzip } from '../accept-encoding.ts';
import type { AppEnv } from '../context.ts';
import { matches } from '../public-json.ts';
import { problem } from '../schemas.ts';

/** Short, as for the pages: a deployment's new script reaches every browser within five minutes. */
const SCRIPT_MAX_AGE_SECONDS = 300;

async function sha256Etag(bytes: Uint8Array<ArrayBuffer>, suffix = ''): Promise<string> {
  return `"${base64urlEncode(await sha256(bytes))}${suffix}"`;
}

/** The script as sent: plain, and gzipped once for the browsers that accept it (a third of the bytes). */
interface Representations {
  readonly plain: { readonly body: Uint8Array<ArrayBuffer>; readonly etag: string };
  readonly gzip: { readonly body: Uint8Array<ArrayBuffer>; readonly etag: string };
}

async function representations(script: string): Promise<Representations> {
  // A copy typed over a plain ArrayBuffer, as WebCrypto and the compression streams take it.
  const plain = new Uint8Array(new TextEncoder().encode(script));
  const gzip = await compress(plain, 'gzip');
  return { plain: { body: plain, etag: await sha256Etag(plain) }, gzip: { body: gzip, etag: await sha256Etag(plain, '-gzip') } };
}

/**
 * The verification page's script. A deployment built without it (a Worker whose build made no
 * bundle) answers 404, and its pages still work through the server's check.
 */
export function registerAssets(app: OpenAPIHono<AppEnv>, assets: WebAssets | undefined) {
  // The script is the same for the life of the process: compressed and tagged once, on first use.
  let ready: Promise<Representations> | undefined;
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
      ready ??= representations(assets.verifyScript);
      const gzip = acceptsGzip(c.req.header('accept-encoding'));
      const chosen = gzip ? (await ready).gzip : (await ready).plain;
      const headers: Record<string, string> = {
        etag: chosen.etag,
        'cache-control': `public, max-age=${SCRIPT_MAX_AGE_SECONDS}`,
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      };
      if (matches(c.req.header('if-none-match'), chosen.etag)) return new Response(null, { status: 304, headers }) as never;
      // `encodeBody: 'manual'` tells workerd the body is already encoded (it would gzip it a second
      // time otherwise); other runtimes ignore the member.
      const init = { headers: { ...headers, 'content-type': 'application/javascript; charset=utf-8' }, encodeBody: 'manual' };
      return new Response(chosen.body, init as ResponseInit) as never;
    },
  );
}
