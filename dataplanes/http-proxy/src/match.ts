// Matching primitives for listener rule conditions: ALB wildcards (`*` any run, `?` one character)
// and CIDR blocks (IPv4 and IPv6). Patterns compile once, when a listener's rules are pushed.
import { isIPv4, isIPv6 } from 'node:net';

/** Compiles an ALB wildcard pattern into an anchored regular expression. */
export function wildcardRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let source = '^';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(source + '$', caseInsensitive ? 'is' : 's');
}

/** A compiled CIDR block: `contains(ip)` for an address in text form. */
export interface Cidr {
  contains(ip: string): boolean;
}

function ipv4ToInt(ip: string): number {
  const p = ip.split('.');
  return ((+p[0]! << 24) | (+p[1]! << 16) | (+p[2]! << 8) | +p[3]!) >>> 0;
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v = ipv4ToInt(tail);
    text = `${text.slice(0, lastColon + 1)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...new Array<string>(8 - h.length - r.length).fill('0'), ...r];
  let out = 0n;
  for (const g of groups) out = (out << 16n) | BigInt(parseInt(g || '0', 16));
  return out;
}

/** Parses `a.b.c.d/n` or `x::y/n`; returns undefined when the text is not a CIDR block. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = text.slice(0, slash);
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (isIPv4(addr)) {
    if (bits > 32) return undefined;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const net = (ipv4ToInt(addr) & mask) >>> 0;
    return {
      contains(ip: string): boolean {
        let v4 = ip;
        if (v4.startsWith('::ffff:')) v4 = v4.slice(7);
        if (!isIPv4(v4)) return false;
        return ((ipv4ToInt(v4) & mask) >>> 0) === net;
      },
    };
  }
  if (isIPv6(addr)) {
    if (bits > 128) return undefined;
    const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
    const net = ipv6ToBigInt(addr) & mask;
    return {
      contains(ip: string): boolean {
        if (!isIPv6(ip)) return false;
        return (ipv6ToBigInt(ip) & mask) === net;
      },
    };
  }
  return undefined;
}
