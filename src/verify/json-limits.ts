/**
 * Bounds on what a caller can make the verifier walk. JSON.parse itself copes with deep nesting,
 * but every recursive step after it (disclosures, claims, reports) would not; refusing depth up
 * front keeps each of them simple and a hostile input a 4xx rather than a stack overflow.
 */
export const MAX_CREDENTIAL_BYTES = 256 * 1024;
export const MAX_JSON_DEPTH = 32;

/** The nesting depth of a parsed JSON value, counted without recursion. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (depth > MAX_JSON_DEPTH) return depth;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}
