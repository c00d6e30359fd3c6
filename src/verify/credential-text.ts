/**
 * A credential as text (pasted or dropped on a page, posted from the form, read from a file by
 * the CLI) as the pipeline takes it: a compact credential as it is, a VC-API envelope or a JSON
 * string as the value it encodes. Anything else goes to the pipeline unchanged, which says what
 * it is not. One reading for the browser, the server and the CLI, so they judge the same input.
 */
export function credentialFromText(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('"')) return trimmed;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return trimmed;
  }
}
