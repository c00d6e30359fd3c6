/**
 * The one codec for both status-list formats we publish. They differ in exactly three ways:
 *
 * |                 | IETF Token Status List        | W3C Bitstring Status List v1.0            |
 * |-----------------|-------------------------------|-------------------------------------------|
 * | index 0 sits in | least significant bit(s)      | most significant (left-most) bit          |
 * | compression     | ZLIB (RFC 1950)               | GZIP (RFC 1952)                           |
 * | text            | base64url, no padding (`lst`) | multibase `u` + base64url (`encodedList`) |
 *
 * plus W3C's floor of 131,072 entries (16 KiB uncompressed) for herd privacy.
 *
 * W3C lists here are 1 bit per entry. The spec also allows `statusSize` > 1 (any positive
 * integer, declared per credential with a `statusMessage` table, and its minimum counts entries,
 * not bits), but leaves open in which order an entry's own bits sit. Revocation and suspension,
 * the purposes we publish, need one bit, so we encode 1-bit lists only and decode every list
 * as 1-bit entries rather than guess. IETF lists carry their width (`bits` 1, 2, 4 or 8): all four work.
 *
 * Decoders take untrusted input: anything malformed is an `invalid_status_list` AppError.
 * Encoders take our own lists: a list the format cannot carry is a TypeError.
 */
import { AppError } from '../errors/index.ts';
import { base64urlDecode, base64urlEncode } from '../util/base64url.ts';
import {
  isStatusBits,
  MAX_STATUS_LIST_BYTES,
  packedLength,
  paddingIsZero,
  StatusList,
  type BitOrder,
  type StatusBits,
} from './bitstring.ts';
import { compress, decompressBounded, maxCompressedLength, type ListCompression } from './compression.ts';

/** The `status_list` claim of a Status List Token (draft-ietf-oauth-status-list, "Status List in JSON Format"). */
export interface TokenStatusListJson {
  bits: StatusBits;
  lst: string;
}

/** W3C Bitstring Status List v1.0 ("encodedList", "Revocation Bitstring Length"): at least 16 KiB of bits, 131,072 one-bit entries. */
export const BITSTRING_STATUS_LIST_MIN_ENTRIES = 131_072;

export async function encodeTokenStatusList(list: StatusList): Promise<TokenStatusListJson> {
  const compressed = await compress(list.packed('lsb-first'), 'deflate');
  return { bits: list.bits, lst: base64urlEncode(compressed) };
}

/**
 * A Status List Token's `status_list` ({bits, lst}) as a list. Without `expectedSize` the list
 * holds every status its bytes carry, up to MAX_STATUS_LIST_BYTES; with it (an issuer reading
 * back its own list) the bytes must hold exactly that many statuses, and inflating stops there.
 */
export async function decodeTokenStatusList(statusList: unknown, expectedSize?: number): Promise<StatusList> {
  if (typeof statusList !== 'object' || statusList === null) throw invalid('status_list is not an object');
  const { bits, lst } = statusList as Record<string, unknown>;
  if (!isStatusBits(bits)) throw invalid('status_list.bits is not 1, 2, 4 or 8');
  if (typeof lst !== 'string') throw invalid('status_list.lst is not a string');
  return decodePacked(lst, bits, 'lsb-first', 'deflate', expectedSize);
}

export async function encodeBitstringStatusList(list: StatusList): Promise<string> {
  if (list.bits !== 1) throw new TypeError(`a Bitstring Status List here has 1-bit entries, not ${list.bits}`);
  if (list.size < BITSTRING_STATUS_LIST_MIN_ENTRIES) {
    throw new TypeError(`a Bitstring Status List needs at least ${BITSTRING_STATUS_LIST_MIN_ENTRIES} entries, not ${list.size}`);
  }
  const compressed = await compress(list.packed('msb-first'), 'gzip');
  return `u${base64urlEncode(compressed)}`;
}

/**
 * A credential subject's `encodedList` as a 1-bit list. Fewer than 131,072 entries is refused,
 * as the spec's validation algorithm does (STATUS_LIST_LENGTH_ERROR); `expectedSize` as above.
 */
export async function decodeBitstringStatusList(encodedList: unknown, expectedSize?: number): Promise<StatusList> {
  if (typeof encodedList !== 'string') throw invalid('encodedList is not a string');
  if (!encodedList.startsWith('u')) throw invalid('encodedList is not multibase base64url (no "u" prefix)');
  if (expectedSize !== undefined && expectedSize < BITSTRING_STATUS_LIST_MIN_ENTRIES) {
    throw new TypeError(`a Bitstring Status List has at least ${BITSTRING_STATUS_LIST_MIN_ENTRIES} entries, not ${expectedSize}`);
  }
  const list = await decodePacked(encodedList.slice(1), 1, 'msb-first', 'gzip', expectedSize);
  if (list.size < BITSTRING_STATUS_LIST_MIN_ENTRIES) {
    throw invalid(`STATUS_LIST_LENGTH_ERROR: ${list.size} entries, fewer than ${BITSTRING_STATUS_LIST_MIN_ENTRIES}`);
  }
  return list;
}

async function decodePacked(
  text: string,
  bits: StatusBits,
  order: BitOrder,
  format: ListCompression,
  expectedSize: number | undefined,
): Promise<StatusList> {
  if (expectedSize !== undefined && (!Number.isSafeInteger(expectedSize) || expectedSize < 1)) {
    throw new TypeError(`expected status list size must be a positive integer, not ${String(expectedSize)}`);
  }
  const expectedBytes = expectedSize === undefined ? undefined : packedLength(expectedSize, bits);
  if (expectedBytes !== undefined && expectedBytes > MAX_STATUS_LIST_BYTES) {
    throw new TypeError(`a status list of ${expectedSize} × ${bits} bits exceeds ${MAX_STATUS_LIST_BYTES} bytes`);
  }
  const maxBytes = expectedBytes ?? MAX_STATUS_LIST_BYTES;
  // Refuse before decoding what could never inflate to an acceptable size (base64 is 4 chars per 3 bytes).
  if (text.length > Math.ceil((maxCompressedLength(maxBytes) * 4) / 3)) throw invalid('the encoded list is longer than any list we accept');
  let compressed: Uint8Array<ArrayBuffer>;
  try {
    compressed = base64urlDecode(text) as Uint8Array<ArrayBuffer>;
  } catch (e) {
    throw invalid('the encoded list is not base64url without padding', e);
  }
  const packed = await decompressBounded(compressed, format, maxBytes);
  if (packed.length === 0) throw invalid('the list holds no statuses');
  if (expectedBytes !== undefined && packed.length !== expectedBytes) {
    throw invalid(`the list has ${packed.length} bytes where ${expectedSize} statuses of ${bits} bits take ${expectedBytes}`);
  }
  const size = expectedSize ?? (packed.length * 8) / bits;
  if (!paddingIsZero(packed, size, bits, order)) throw invalid('a status is set beyond the expected size');
  return StatusList.fromPacked(packed, bits, order, size);
}

function invalid(detail: string, cause?: unknown): AppError {
  return new AppError('invalid_status_list', detail, cause === undefined ? undefined : { cause });
}
