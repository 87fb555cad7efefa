// OTLP/JSON values to plain JavaScript: AnyValue (a set `false` or `0` stays), attribute lists,
// nanosecond timestamps.

export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

export interface KeyValue {
  key?: string;
  value?: AnyValue;
}

export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
}

export function plain(v: AnyValue | undefined): Plain {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(plain);
  if (v.kvlistValue !== undefined) return attributes(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

export function attributes(list: readonly KeyValue[] | undefined): Record<string, Plain> {
  const out: Record<string, Plain> = {};
  for (const kv of list ?? []) if (kv.key !== undefined) out[kv.key] = plain(kv.value);
  return out;
}

/** Nanoseconds since the epoch (string or number) to seconds (microsecond precision). */
export function nanosToSeconds(v: string | number | undefined): number {
  if (v === undefined || v === '') return 0;
  try {
    return Number(BigInt(String(v)) / 1000n) / 1e6;
  } catch {
    return Number(v) / 1e9;
  }
}
