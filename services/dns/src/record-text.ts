// dns-packet record data back to its presentation text (TestDNSAnswer's RecordData).
const dot = (name: string) => (name.endsWith('.') ? name : `${name}.`);
const quote = (s: string | Buffer) => `"${String(s).replace(/(["\\])/g, '\\$1')}"`;

export function recordText(type: string, data: unknown): string {
  const d = data as Record<string, unknown>;
  switch (type) {
    case 'A':
    case 'AAAA':
      return String(data);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return dot(String(data));
    case 'MX':
      return `${String(d.preference)} ${dot(String(d.exchange))}`;
    case 'SRV':
      return `${String(d.priority)} ${String(d.weight)} ${String(d.port)} ${dot(String(d.target))}`;
    case 'SOA':
      return `${dot(String(d.mname))} ${dot(String(d.rname))} ${String(d.serial)} ${String(d.refresh)} ${String(d.retry)} ${String(d.expire)} ${String(d.minimum)}`;
    case 'TXT':
      return (Array.isArray(data) ? data : [data as string]).map((s) => quote(s as string)).join(' ');
    case 'CAA':
      return `${String(d.flags)} ${String(d.tag)} ${quote(String(d.value))}`;
    default:
      return String(data);
  }
}
