/** The base context of the VC Data Model 2.0: the first `@context` of every 2.0 credential and envelope (VCDM 2.0 §4.3). */
export const VCDM2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
