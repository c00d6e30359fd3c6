/**
 * A fixed-size array of statuses, each `bits` wide, packed into bytes. Both list formats we
 * publish share it: the IETF Token Status List (draft-ietf-oauth-status-list, "Compressed Byte Array")
 * packs index 0 into the least significant bits of byte 0, the W3C Bitstring Status List v1.0
 * ("encodedList", "Bitstring Encoding") into the left-most, i.e. most significant, bit. That order belongs to
 * the encoding, so it is an argument of `packed`/`fromPacked`, never a property of a list.
 */

/** The widths the IETF draft allows (so that no status straddles a byte). */
export type StatusBits = 1 | 2 | 4 | 8;

/** Where index 0 sits in byte 0: IETF Token Status List is lsb-first, W3C Bitstring Status List msb-first. */
export type BitOrder = 'lsb-first' | 'msb-first';

/**
 * The largest packed list we create or accept (16 MiB: 134,217,728 one-bit statuses). Decoding
 * refuses anything that inflates beyond it, so it is also our bound against decompression bombs.
 */
export const MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024;

export function isStatusBits(value: unknown): value is StatusBits {
  return value === 1 || value === 2 || value === 4 || value === 8;
}

/**
 * Per byte, the statuses in reverse order with each status's own bits kept as they are: for
 * bits=1 a bit reversal, for 2 and 4 a reorder of the 2- and 4-bit groups. Its own inverse,
 * so one table converts either way, a byte at a time instead of a status at a time.
 */
function reorderTable(bits: 1 | 2 | 4): Uint8Array {
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const table = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let out = 0;
    for (let k = 0; k < perByte; k++) out |= ((byte >>> (k * bits)) & mask) << ((perByte - 1 - k) * bits);
    table[byte] = out;
  }
  return table;
}

const REORDER: Readonly<Record<StatusBits, Uint8Array | undefined>> = {
  1: reorderTable(1),
  2: reorderTable(2),
  4: reorderTable(4),
  8: undefined,
};

/** A copy of `bytes`, converted between lsb-first and msb-first packing (the same operation both ways). */
function reordered(bytes: Uint8Array, bits: StatusBits): Uint8Array<ArrayBuffer> {
  const table = REORDER[bits];
  if (!table) return bytes.slice();
  const out = new Uint8Array(bytes.length);
  // A zero byte reorders to zero, already there: a published list is mostly zeros (status valid).
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte !== 0) out[i] = table[byte]!;
  }
  return out;
}

/** Bytes needed for `size` statuses of `bits` each: the last byte may be part padding. */
export function packedLength(size: number, bits: StatusBits): number {
  return Math.ceil((size * bits) / 8);
}

/**
 * Whether the padding bits after the last status (present when size × bits is not a whole
 * number of bytes) are all zero in a packed array of that order.
 */
export function paddingIsZero(packed: Uint8Array, size: number, bits: StatusBits, order: BitOrder): boolean {
  const used = (size * bits) % 8;
  if (used === 0 || packed.length === 0) return true;
  const last = packed[packed.length - 1]!;
  const paddingMask = order === 'lsb-first' ? 0xff & ~((1 << used) - 1) : (1 << (8 - used)) - 1;
  return (last & paddingMask) === 0;
}

export class StatusList {
  readonly size: number;
  readonly bits: StatusBits;
  readonly #mask: number;
  /** Stored lsb-first, the IETF order, so publishing an IETF list needs no reordering at all. */
  readonly #bytes: Uint8Array<ArrayBuffer>;

  /** A list of `size` statuses, all 0. Caller mistakes (a size that is no count, bits outside 1/2/4/8) are TypeErrors. */
  constructor(size: number, bits: StatusBits = 1) {
    if (!isStatusBits(bits)) throw new TypeError(`status bits must be 1, 2, 4 or 8, not ${String(bits)}`);
    if (!Number.isSafeInteger(size) || size < 1) throw new TypeError(`status list size must be a positive integer, not ${String(size)}`);
    const length = packedLength(size, bits);
    if (length > MAX_STATUS_LIST_BYTES)
      throw new TypeError(`a status list of ${size} × ${bits} bits exceeds ${MAX_STATUS_LIST_BYTES} bytes`);
    this.size = size;
    this.bits = bits;
    this.#mask = (1 << bits) - 1;
    this.#bytes = new Uint8Array(length);
  }

  /**
   * A list from packed bytes in the given order (copied). `size` defaults to every status the
   * bytes hold; the bytes must be exactly as long as `size` needs, with zero padding. Decoders
   * of untrusted input check both first and answer with an AppError; here a mismatch is a bug.
   */
  static fromPacked(packed: Uint8Array, bits: StatusBits, order: BitOrder, size: number = (packed.length * 8) / bits): StatusList {
    const list = new StatusList(size, bits);
    if (packed.length !== list.#bytes.length) {
      throw new TypeError(`${size} statuses of ${bits} bits take ${list.#bytes.length} bytes, not ${packed.length}`);
    }
    if (!paddingIsZero(packed, size, bits, order)) throw new TypeError('the padding bits after the last status are not zero');
    list.#bytes.set(order === 'lsb-first' ? packed : reordered(packed, bits));
    return list;
  }

  get(index: number): number {
    this.#checkIndex(index);
    const bit = index * this.bits;
    return (this.#bytes[bit >>> 3]! >>> (bit & 7)) & this.#mask;
  }

  set(index: number, status: number): void {
    this.#checkIndex(index);
    if (!Number.isInteger(status) || status < 0 || status > this.#mask) {
      throw new TypeError(`a ${this.bits}-bit status must be an integer from 0 to ${this.#mask}, not ${String(status)}`);
    }
    const bit = index * this.bits;
    const shift = bit & 7;
    const byte = bit >>> 3;
    this.#bytes[byte] = (this.#bytes[byte]! & ~(this.#mask << shift)) | (status << shift);
  }

  /** Every [index, status] whose status is not 0, in index order; whole zero bytes are skipped. */
  *nonZero(): Generator<[index: number, status: number], void, undefined> {
    const bytes = this.#bytes;
    const bits = this.bits;
    const mask = this.#mask;
    const perByte = 8 / bits;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte === 0) continue;
      for (let k = 0; k < perByte; k++) {
        const status = (byte >>> (k * bits)) & mask;
        if (status !== 0) yield [i * perByte + k, status];
      }
    }
  }

  /** A copy of the packed bytes in the order an encoding needs. */
  packed(order: BitOrder): Uint8Array<ArrayBuffer> {
    return order === 'lsb-first' ? this.#bytes.slice() : reordered(this.#bytes, this.bits);
  }

  #checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new TypeError(`status index must be an integer from 0 to ${this.size - 1}, not ${String(index)}`);
    }
  }
}
