/** RFC 6901 JSON Pointer: `~` and `/` inside a member name are escaped so the pointer names one member. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
