import { z } from '@hono/zod-openapi';
import { ERROR_STATUS } from '../errors/index.ts';
import { ROLES } from '../auth/principal.ts';
import { keyPolicySchema, SIGNING_ALGORITHMS } from '../keys/policy.ts';
import { tenantIdSchema } from '../tenants/tenant-id.ts';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
    request_id: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
    detail: z.string().optional().openapi({ description: 'On 401 and 403: the role(s) and tenant the operation needs.' }),
  })
  .openapi('Problem');

export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

export const TenantParam = z.object({ tenant: z.string().openapi({ param: { name: 'tenant', in: 'path' }, example: 'demo' }) });

// Domain schemas are plain zod (the core does not depend on the OpenAPI extension); they render inline.
export const KeyPolicySchema = keyPolicySchema;

export const TenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    did: z.string(),
    issuer: z.string().url(),
    key_policy: KeyPolicySchema,
    log_subjects: z.enum(['name', 'digest']).openapi({
      description: 'What the tenant’s transparency log says of each subject: its name, or only the SHA-256 of its name.',
    }),
    created_at: z.string().datetime(),
  })
  .openapi('Tenant');

export const CreateTenantBody = z
  .object({
    id: tenantIdSchema,
    name: z.string().trim().min(1).max(200),
    key_policy: keyPolicySchema.optional(),
    log_subjects: z
      .enum(['name', 'digest'])
      .optional()
      .openapi({
        description:
          'What the transparency log records of each subject: `name` (the default) or `digest` (base64url SHA-256 of the name; ' +
          'a verifier who knows the name can still find its entries). Fixed at creation: a log cannot unsay what it said.',
      }),
  })
  .strict()
  .openapi('CreateTenant');

export const SigningKeySchema = z
  .object({
    kid: z.string(),
    alg: z.enum(SIGNING_ALGORITHMS),
    state: z.enum(['next', 'active', 'retired', 'expired', 'revoked']),
    did_url: z.string(),
    public_jwk: z.record(z.string(), z.string()),
    created_at: z.string().datetime(),
    activated_at: z.string().datetime().nullable(),
    retired_at: z.string().datetime().nullable(),
    publish_until: z.string().datetime().nullable(),
    revoked_at: z.string().datetime().nullable(),
    revocation_reason: z.string().nullable(),
  })
  .openapi('SigningKey');

export const RevokeKeyBody = z
  .object({ reason: z.string().trim().min(1).max(500) })
  .strict()
  .openapi('RevokeKey');

export const RoleSchema = z.enum(ROLES);

export const ApiKeySchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    roles: z.array(RoleSchema),
    label: z.string(),
    created_at: z.string().datetime(),
    revoked_at: z.string().datetime().nullable(),
  })
  .openapi('ApiKey');

export const CreateApiKeyBody = z
  .object({
    roles: z.array(RoleSchema).min(1).max(ROLES.length),
    label: z.string().max(200).optional(),
  })
  .strict()
  .openapi('CreateApiKey');

export const bearerSecurity = [{ bearer: [] as string[] }];

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The query of a keyset-paged list of issuances: by subject and profile, newest first. */
export const IssuancePageQuery = z.object({
  subject: z.string().max(500).optional(),
  profile: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
