import { VC_JWT_MEDIA_TYPE } from './formats/vc-jwt.ts';
import type { CredentialFormat } from './records.ts';

const MEDIA_TYPES: Record<CredentialFormat, string> = {
  'vc+jwt': VC_JWT_MEDIA_TYPE,
  jwt_vc_json: 'application/jwt',
  'dc+sd-jwt': 'application/dc+sd-jwt',
};

/** The media type each format is served and stored as. */
export const mediaTypeOf = (format: CredentialFormat): string => MEDIA_TYPES[format];
