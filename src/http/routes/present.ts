import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../errors/index.ts';
import { base64urlEncode } from '../../util/base64url.ts';
import { sha256Url } from '../../util/sha256.ts';
import { preparePresentation } from '../../verify/present.ts';
import { VerificationFailure } from '../../verify/result.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { policy, rateLimit } from '../middleware/rate-limit.ts';
import { clientAddress } from '../client-address.ts';
import { problem } from '../schemas.ts';

const PresentBody = z
  .object({
    credential: z.string().min(1).max(262_144),
    reveal: z
      .array(
        z
          .string()
          .max(1024)
          .regex(/^(\/[^/]*)+$/, 'a JSON pointer'),
      )
      .max(500),
    key_binding: z
      .object({ audience: z.string().min(1).max(2048), nonce: z.string().min(1).max(512), alg: z.enum(['ES256', 'ES384', 'EdDSA']) })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('PresentRequest');

const PresentResponse = z
  .object({
    presentation: z.string(),
    disclosable: z.array(z.string()),
    key_binding: z
      .object({ header: z.record(z.string(), z.unknown()), payload: z.record(z.string(), z.unknown()), signing_input: z.string() })
      .optional(),
  })
  .openapi('Presentation');

const b64json = (value: unknown) => base64urlEncode(new TextEncoder().encode(JSON.stringify(value)));

/**
 * The holder chooses what to reveal; the service never sees a holder's private key. With
 * `key_binding` the answer carries the exact key-binding JWT to sign (RFC 9901 §4.3): the holder
 * signs `signing_input` with its key and appends `signing_input.signature` to the presentation.
 * `npx launchproof present` does all of it locally, key included.
 */
export function registerPresent(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  const presentLimit = rateLimit(
    policy('present', deps.config.verifyRateLimitPerMinute),
    (c) => clientAddress(c, deps.config.trustProxy),
    deps.clock,
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/present',
      tags: ['verify'],
      summary: 'Prepare an SD-JWT VC presentation: reveal chosen claims, and get the key-binding JWT to sign',
      middleware: [presentLimit] as const,
      request: { body: { required: true, content: { 'application/json': { schema: PresentBody } } } },
      responses: {
        200: { description: 'The presentation', content: { 'application/json': { schema: PresentResponse } } },
        400: problem('Invalid request'),
        422: problem('Not an SD-JWT, or a claim that is not disclosable'),
        429: problem('Rate limited'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      let presentation: string;
      let disclosable: string[];
      try {
        ({ presentation, disclosable } = await preparePresentation(body.credential, body.reveal));
      } catch (e) {
        if (e instanceof VerificationFailure)
          throw new AppError('invalid_presentation', e.message, { fields: [{ pointer: '/reveal', detail: e.message }] });
        throw e;
      }
      c.header('cache-control', 'no-store');
      if (!body.key_binding) return c.json({ presentation, disclosable }, 200);
      const sdHash = await sha256Url(presentation);
      const header = { alg: body.key_binding.alg, typ: 'kb+jwt' };
      const payload = {
        aud: body.key_binding.audience,
        nonce: body.key_binding.nonce,
        iat: Math.floor(deps.clock().getTime() / 1000),
        sd_hash: sdHash,
      };
      return c.json(
        { presentation, disclosable, key_binding: { header, payload, signing_input: `${b64json(header)}.${b64json(payload)}` } },
        200,
      );
    },
  );
}
