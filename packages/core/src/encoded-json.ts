// A value a provider already holds as JSON text in its wire shape (DynamoDB keeps items as the JSON
// the API returns). The JSON codecs write the text as it is, so a page of 1,000 items is neither
// parsed nor walked through the model to be sent back. Serialized anywhere else (a log line, a test
// comparing values), it behaves as the value it encodes.
import { randomBytes } from 'node:crypto';

const ENCODED_JSON = Symbol.for('atoll.EncodedJson');

/**
 * The server bundle and the services each load their own copy of this package, so the class check,
 * the placeholder nonce and the sink of the stringify in progress live in one process-wide slot.
 * The nonce makes placeholders unguessable: no string in a payload can pass for one.
 */
interface Shared {
  nonce: string;
  token: RegExp;
  sink: string[] | undefined;
}
const shared: Shared = ((globalThis as Record<symbol, unknown>)[Symbol.for('atoll.EncodedJson.shared')] ??= (() => {
  const nonce = randomBytes(12).toString('hex');
  return { nonce, token: new RegExp(`"\\\\u0001${nonce}:(\\d+)"`, 'g'), sink: undefined };
})()) as Shared;

export class EncodedJson {
  /** `json` must be a complete JSON value; it is trusted, as it came from the provider's own store. */
  constructor(readonly json: string) {}

  toJSON(): unknown {
    const sink = shared.sink;
    if (!sink) return JSON.parse(this.json);
    sink.push(this.json);
    return `\u0001${shared.nonce}:${sink.length - 1}`;
  }

  // Checked by symbol so that the check survives duplicate copies of this package.
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ENCODED_JSON] === true;
  }
}
Object.defineProperty(EncodedJson.prototype, ENCODED_JSON, { value: true });

/** JSON.stringify that writes EncodedJson values verbatim. */
export function stringifyJson(value: unknown): string {
  const outer = shared.sink;
  const parts: string[] = [];
  shared.sink = parts;
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'null';
  } finally {
    shared.sink = outer;
  }
  return parts.length === 0 ? text : text.replace(shared.token, (_, i: string) => parts[Number(i)]!);
}
