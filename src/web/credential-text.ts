/**
 * What a buyer pastes or drops, as the pipeline takes it: a compact credential as it is, a VC-API
 * envelope (JSON) as the object it encodes. Anything else goes to the pipeline unchanged, which
 * says what it is not in the same words as the server.
 */
export function credentialFromText(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return trimmed;
  }
}
