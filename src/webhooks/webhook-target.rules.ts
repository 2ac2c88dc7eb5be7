/**
 * Where a webhook may be sent (API.md, Integrations): never to the service's own network. An address is refused
 * when it is loopback, private, link-local, multicast, or otherwise not a public unicast address (unspecified,
 * shared/CGNAT, documentation, benchmarking, reserved, broadcast); IPv6 forms that carry an IPv4 address
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by the IPv4 address inside. Pure: no DNS here; the
 * sender resolves a host once, checks every address with `refusedAddress`, and connects only to one it checked.
 */
import { isIP } from 'node:net';

/** Why an address is refused, for the delivery's `error` and the 400's detail. */
export type RefusalReason =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'multicast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'broadcast'
  | 'not an IP address';

interface Range {
  bytes: number[];
  bits: number;
  reason: RefusalReason;
}

const v4 = (cidr: string, reason: RefusalReason): Range => {
  const [address, bits] = cidr.split('/');
  return { bytes: address.split('.').map(Number), bits: Number(bits), reason };
};

/** IANA IPv4 special-purpose registry, minus the globally reachable entries. */
const IPV4_REFUSED: Range[] = [
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'shared'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.88.99.0/24', 'reserved'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('255.255.255.255/32', 'broadcast'),
  v4('240.0.0.0/4', 'reserved'),
];

const v6 = (prefix: number[], bits: number, reason: RefusalReason): Range => ({ bytes: prefix, bits, reason });

/** IPv6 ranges refused outright (those embedding an IPv4 address are handled by embeddedIpv4 first). */
const IPV6_REFUSED: Range[] = [
  v6([0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'), // 100::/64 discard-only
  v6([0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'private'), // 64:ff9b:1::/48 local-use NAT64
  v6([0x20, 0x01, 0x00, 0x00], 32, 'reserved'), // 2001::/32 Teredo (an obfuscated IPv4 inside)
  v6([0x20, 0x01, 0x00, 0x02, 0x00, 0x00], 48, 'benchmarking'), // 2001:2::/48
  v6([0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'), // 2001:db8::/32
  v6([0x3f, 0xff], 20, 'documentation'), // 3fff::/20
  v6([0xfc], 7, 'private'), // fc00::/7 unique local
  v6([0xfe, 0x80], 10, 'link-local'), // fe80::/10
  v6([0xfe, 0xc0], 10, 'private'), // fec0::/10 site-local (deprecated)
  v6([0xff], 8, 'multicast'), // ff00::/8
];

function inRange(bytes: number[], range: Range): boolean {
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((range.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

function refusedIpv4(bytes: number[]): RefusalReason | null {
  return IPV4_REFUSED.find((r) => inRange(bytes, r))?.reason ?? null;
}

/** The 16 bytes of an IPv6 address in any textual form (`::`, embedded dotted quad, zone id); null if malformed. */
export function parseIpv6(text: string): number[] | null {
  const address = text.replace(/^\[|\]$/g, '').split('%')[0];
  if (isIP(address) !== 6) return null;
  let head = address;
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    tail = dotted[1].split('.').map(Number);
    head = address.slice(0, -dotted[1].length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = (16 - tail.length) / 2;
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const parse = (part: string | undefined): number[] => (part ? part.split(':').filter((g) => g !== '').map((g) => parseInt(g, 16)) : []);
  const l = parse(left);
  const r = parse(right);
  const groups = right === undefined ? l : [...l, ...Array<number>(groupsWanted - l.length - r.length).fill(0), ...r];
  if (groups.length !== groupsWanted) return null;
  return [...groups.flatMap((g) => [g >> 8, g & 0xff]), ...tail];
}

/** The IPv4 address an IPv6 address stands for: IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96), 6to4. */
function embeddedIpv4(b: number[]): number[] | null {
  const zeros = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12); // ::ffff:a.b.c.d
  if (zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && b[15] <= 1)) return b.slice(12); // ::a.b.c.d (not :: or ::1)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return b.slice(12); // 64:ff9b::a.b.c.d
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6); // 2002:AABB:CCDD::/48
  return null;
}

/**
 * Why a webhook may not be sent to this address, or null when it may: a public unicast IPv4 or IPv6 address.
 * Anything that is not an IP address is refused too.
 */
export function refusedAddress(address: string): RefusalReason | null {
  const plain = address.replace(/^\[|\]$/g, '').split('%')[0];
  const family = isIP(plain);
  if (family === 4) return refusedIpv4(plain.split('.').map(Number));
  if (family !== 6) return 'not an IP address';
  const bytes = parseIpv6(plain);
  if (!bytes) return 'not an IP address';
  if (bytes.every((x) => x === 0)) return 'unspecified';
  if (bytes.slice(0, 15).every((x) => x === 0) && bytes[15] === 1) return 'loopback';
  const inner = embeddedIpv4(bytes);
  if (inner) return refusedIpv4(inner);
  return IPV6_REFUSED.find((r) => inRange(bytes, r))?.reason ?? null;
}

/** Whether a URL's host is an IP literal (then no DNS is involved: the literal is what is checked and connected to). */
export function ipLiteral(hostname: string): string | null {
  const plain = hostname.replace(/^\[|\]$/g, '');
  return isIP(plain) ? plain : null;
}
