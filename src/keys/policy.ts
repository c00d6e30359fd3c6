import { z } from 'zod';
import defaultPolicyJson from '../../keys/policy.json' with { type: 'json' };

export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * A tenant's key policy. The retirement window must outlive the longest credential a key can
 * sign, or a credential would outlive the only published copy of the key that verifies it.
 */
export const keyPolicySchema = z
  .object({
    algorithm: z.enum(SIGNING_ALGORITHMS),
    rotationPeriodDays: z.number().int().min(1).max(3650),
    maxCredentialValidityDays: z.number().int().min(1).max(3650),
    retiredPublishDays: z.number().int().min(1).max(7300),
  })
  .strict()
  .refine((p) => p.retiredPublishDays >= p.maxCredentialValidityDays, {
    message: 'retiredPublishDays must be at least maxCredentialValidityDays',
    path: ['retiredPublishDays'],
  });

export type KeyPolicy = z.infer<typeof keyPolicySchema>;

/** The deployment default, kept in keys/policy.json so operators can read it next to the runbook. */
export const DEFAULT_KEY_POLICY: KeyPolicy = Object.freeze(keyPolicySchema.parse(defaultPolicyJson));

export const DAY_MS = 86_400_000;
