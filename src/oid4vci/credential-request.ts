import { z } from 'zod';

/**
 * The credential request of OID4VCI 1.0 §8.2, by credential_configuration_id. `proofs` is the
 * 1.0 form; the singular `proof` of earlier drafts is still accepted because wallets in the field
 * send it and it costs one line. One proof per request: batch issuance is not offered.
 */
export const credentialRequestSchema = z
  .looseObject({
    credential_configuration_id: z.string().min(1).max(200),
    proofs: z.strictObject({ jwt: z.array(z.string().max(8192)).min(1) }).optional(),
    proof: z.strictObject({ proof_type: z.literal('jwt'), jwt: z.string().max(8192) }).optional(),
  })
  .refine((r) => (r.proofs === undefined) !== (r.proof === undefined), { message: 'give proofs (or the older proof), not both' });

export type CredentialRequest = z.infer<typeof credentialRequestSchema>;
