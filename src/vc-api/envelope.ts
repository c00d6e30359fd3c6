import { VCDM2_CONTEXT } from '../credentials/contexts.ts';
import { VC_JWT_MEDIA_TYPE } from '../credentials/formats/vc-jwt.ts';

export { VCDM2_CONTEXT };

/**
 * W3C VC-JOSE-COSE "enveloped" form of a vc+jwt: the VC-API returns credentials as JSON
 * objects, so a JOSE-secured one travels as a `data:` URL inside an EnvelopedVerifiableCredential.
 * The compact JWS alphabet needs no percent-encoding.
 */
export function envelopeVcJwt(jwt: string) {
  return { '@context': VCDM2_CONTEXT, id: `data:${VC_JWT_MEDIA_TYPE},${jwt}`, type: 'EnvelopedVerifiableCredential' } as const;
}
