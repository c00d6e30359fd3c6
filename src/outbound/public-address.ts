/**
 * Whether an IP address (as DNS or a URL parser writes it, no brackets, no zone) is on the
 * public internet. Anything this cannot parse counts as not public: the caller refuses it.
 */
export function isPublicAddress(ip: string): boolean {
  const v4 = parseIpv4(ip);
  if (v4 !== null) return isPublicIpv4(v4);
  const v6 = parseIpv6(ip);
  return v6 !== null && isPublicIpv6(v6);
}

/**
 * Whether an address is this machine's own: 127.0.0.0/8, ::1, or 127.x written as an
 * IPv4-mapped IPv6 address. Only the development allowance (policy.ts) lets these through.
 */
export function isLoopbackAddress(ip: string): boolean {
  const v4 = parseIpv4(ip);
  if (v4 !== null) return v4 >>> 24 === 127;
  const v6 = parseIpv6(ip);
  if (v6 === null) return false;
  const zeros = (from: number, to: number) => v6.slice(from, to).every((x) => x === 0);
  if (zeros(0, 7) && v6[7] === 1) return true;
  return zeros(0, 5) && v6[5] === 0xffff && v6[6]! >>> 8 === 127;
}

/** [network, prefix length]: loopback, private, shared, link-local, documentation, benchmarking, multicast, reserved. */
const NOT_PUBLIC_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
  ['255.255.255.255', 32],
];

const NOT_PUBLIC_V4_MASKS = NOT_PUBLIC_V4.map(([network, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { network: parseIpv4(network)!, mask };
});

function isPublicIpv4(address: number): boolean {
  return NOT_PUBLIC_V4_MASKS.every(({ network, mask }) => (address & mask) >>> 0 !== network);
}

/**
 * An allow-list rather than a deny-list: only 2000::/3 is assigned as global unicast, so
 * everything else (::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8, 100::/64, 64:ff9b:1::/48)
 * is refused without naming it. Forms that carry an IPv4 address are judged by that address.
 */
function isPublicIpv6(g: readonly number[]): boolean {
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const v4At = (i: number) => ((g[i]! << 16) | g[i + 1]!) >>> 0;
  if (zeros(0, 5) && g[5] === 0xffff) return isPublicIpv4(v4At(6));
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return isPublicIpv4(v4At(6));
  const first = g[0]!;
  if ((first & 0xe000) !== 0x2000) return false;
  // 2001::/23 holds IETF protocol assignments (Teredo, benchmarking, ORCHID), 2001:db8::/32 documentation.
  if (first === 0x2001 && (g[1]! < 0x0200 || g[1] === 0x0db8)) return false;
  if (first === 0x2002) return isPublicIpv4(v4At(1));
  // 3fff::/20: documentation (RFC 9637).
  if (first === 0x3fff && g[1]! < 0x1000) return false;
  return true;
}

function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    // Leading zeros are refused: some stacks read them as octal, so their meaning is not certain.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

/** Eight 16-bit groups, or null. */
function parseIpv6(text: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (piece.includes('.')) {
        const v4 = i === pieces.length - 1 ? parseIpv4(piece) : null;
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  if (head === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const tail = groups(halves[1]!);
  if (tail === null || head.length + tail.length > 7) return null;
  // An IPv4 tail is only valid at the very end, which `groups` cannot see for the head half.
  if (halves[0]!.includes('.')) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
