// Resource record values in Route 53's text form (`10 mail.example.com`, `"v=spf1 -all"`,
// `0 issue "ca.example"`): their validation with Route 53's wording, and their conversion into the
// data dns-packet encodes. Types Route 53 accepts but the DNS server does not answer (NAPTR, SPF, DS,
// TLSA, SSHFP, SVCB, HTTPS) are checked only for being non-empty.
import { isIPv4, isIPv6 } from 'node:net';
import { isValidDomainName } from './names.js';

/** Record types the DNS server answers. */
export const SERVED_TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'NS', 'SOA', 'CAA', 'PTR']);

const u16 = (s: string | undefined) => s !== undefined && /^\d{1,5}$/.test(s) && Number(s) <= 65535;
const u32 = (s: string | undefined) => s !== undefined && /^\d{1,10}$/.test(s) && Number(s) <= 4294967295;

/** Splits TXT/SPF/CAA text into its character strings: `"a b" "c"` → ['a b', 'c']; bare words too. */
export function characterStrings(value: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (value[i] === ' ' || value[i] === '\t') {
      i++;
      continue;
    }
    let s = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) return undefined;
        const c = value[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\' && i + 1 < value.length) {
          const octal = /^[0-7]{3}/.exec(value.slice(i + 1));
          if (octal) {
            s += String.fromCharCode(parseInt(octal[0], 8));
            i += 4;
          } else {
            s += value[i + 1];
            i += 2;
          }
          continue;
        }
        s += c;
        i++;
      }
    } else {
      while (i < value.length && value[i] !== ' ' && value[i] !== '\t') s += value[i++];
    }
    if (Buffer.byteLength(s) > 255) return undefined;
    out.push(s);
  }
  return out;
}

/**
 * Why a value is not valid for its type, in Route 53's words (`Invalid Resource Record: 'FATAL
 * problem: …'`), or undefined when it is.
 */
export function invalidValue(type: string, value: string): string | undefined {
  const fatal = (problem: string) => `Invalid Resource Record: 'FATAL problem: ${problem} encountered with '${value}''`;
  const f = value.trim().split(/\s+/);
  switch (type) {
    case 'A':
      return isIPv4(value) ? undefined : fatal('ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)');
    case 'AAAA':
      return isIPv6(value) ? undefined : fatal('AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)');
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return f.length === 1 && isValidDomainName(value) ? undefined : fatal('DomainLabelEmpty (Domain label is empty)');
    case 'MX':
      return f.length === 2 && u16(f[0]) && isValidDomainName(f[1]!) ? undefined : fatal('MXRRDATANotTwoFields (MX RRDATA does not have two fields)');
    case 'SRV':
      return f.length === 4 && u16(f[0]) && u16(f[1]) && u16(f[2]) && isValidDomainName(f[3]!)
        ? undefined
        : fatal('SRVRRDATANotFourFields (SRV RRDATA does not have four fields)');
    case 'SOA':
      return f.length === 7 && isValidDomainName(f[0]!) && isValidDomainName(f[1]!) && f.slice(2).every(u32)
        ? undefined
        : fatal('SOARRDATANotSevenFields (SOA RRDATA does not have seven fields)');
    case 'TXT':
    case 'SPF':
      return characterStrings(value)?.length ? undefined : fatal('InvalidCharacterString (Value should be enclosed in quotation marks)');
    case 'CAA': {
      const m = /^(\d{1,3})\s+([A-Za-z0-9]+)\s+(.*)$/.exec(value.trim());
      return m && Number(m[1]) <= 255 && characterStrings(m[3]!)?.length === 1 ? undefined : fatal('CAARRDATANotThreeFields (CAA RRDATA does not have three fields)');
    }
    default:
      return value.trim() ? undefined : fatal('InvalidRDATA (Value is empty)');
  }
}

const bare = (name: string) => (name.endsWith('.') && name.length > 1 ? name.slice(0, -1) : name);

/** The rdata dns-packet encodes for a (valid) value of a served type. */
export function packetData(type: string, value: string): unknown {
  const f = value.trim().split(/\s+/);
  switch (type) {
    case 'A':
    case 'AAAA':
      return value;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return bare(value.toLowerCase());
    case 'MX':
      return { preference: Number(f[0]), exchange: bare(f[1]!) };
    case 'SRV':
      return { priority: Number(f[0]), weight: Number(f[1]), port: Number(f[2]), target: bare(f[3]!) };
    case 'SOA':
      return {
        mname: bare(f[0]!),
        rname: bare(f[1]!),
        serial: Number(f[2]),
        refresh: Number(f[3]),
        retry: Number(f[4]),
        expire: Number(f[5]),
        minimum: Number(f[6]),
      };
    case 'TXT':
      return characterStrings(value) ?? [value];
    case 'CAA': {
      const m = /^(\d{1,3})\s+([A-Za-z0-9]+)\s+(.*)$/.exec(value.trim())!;
      const flags = Number(m[1]);
      return { flags, tag: m[2]!.toLowerCase(), value: characterStrings(m[3]!)?.[0] ?? '', issuerCritical: (flags & 128) !== 0 };
    }
    default:
      return value;
  }
}
