import { escapeUnprintable } from '../verify/report-text.ts';

const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text for an HTML element or a quoted attribute. Everything a page shows from a credential is
 * someone else's input: markup characters become entities, and control characters and
 * bidirectional overrides are shown as escapes so a crafted claim cannot make one text read as another.
 */
export function esc(value: unknown, maxChars = 500): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const visible = escapeUnprintable(text);
  const cut = visible.length > maxChars ? `${visible.slice(0, maxChars)}…` : visible;
  return cut.replace(/[&<>"']/g, (ch) => ENTITY[ch]!);
}

/**
 * Markup characters only, for text that must round-trip exactly: a credential pre-filled in a
 * form field is submitted again as it stands, line breaks and all.
 */
export function escField(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ENTITY[ch]!);
}

/** A string from a credential, or undefined for anything else (a number, an object, an empty string). */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A plain object from a credential, or an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
