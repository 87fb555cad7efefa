// DNS names as Route 53 keeps them: lower case, fully qualified (trailing dot), `*` at the front of
// a wildcard name shown as `\052` in API output, and other special characters as `\ooo` escapes.
// Also the sort key ListResourceRecordSets orders by (labels reversed) and the zone a name falls in.
//
// Known limitations: internationalized names are kept as given (no punycode conversion).

/** `WWW.Example.com` → `www.example.com.`; `\052.example.com` → `*.example.com.`. */
export function normalizeName(name: string): string {
  let n = name.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))).toLowerCase();
  if (!n.endsWith('.')) n += '.';
  return n;
}

/** The name as Route 53's API shows it: a leading `*` label as `\052`, other unusual characters escaped. */
export function displayName(name: string): string {
  return name.replace(/[^a-z0-9\-_.]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** `www.example.com.` → `com example www`: ListResourceRecordSets' order (labels reversed). */
export function sortKey(name: string): string {
  return name.slice(0, -1).split('.').reverse().join(' ');
}

/** Whether `name` is `zone` or under it (both normalized). */
export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** `a.b.example.com.` → `b.example.com.`; the root's parent is undefined. */
export function parentName(name: string): string | undefined {
  if (name === '.' || name === '') return undefined;
  const i = name.indexOf('.');
  const rest = name.slice(i + 1);
  return rest === '' ? '.' : rest;
}

/** A domain name's syntax as Route 53 accepts it (labels up to 63, whole up to 255, not empty). */
export function isValidDomainName(name: string): boolean {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length === 0 || n.length > 253) return false;
  return n.split('.').every((label) => label.length > 0 && label.length <= 63);
}
