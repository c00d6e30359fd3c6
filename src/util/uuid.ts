/** A lowercase RFC 9562 UUID as `crypto.randomUUID()` writes it: the form every stored id takes. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checked before a lookup, so text that cannot be an id never reaches a uuid column (a cast error). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
