// The binary event-stream framing (application/vnd.amazon.eventstream) of streaming responses (S3
// SelectObjectContent, CloudWatch Logs StartLiveTail): each message is [total length][headers length]
// [prelude CRC32][headers][payload][message CRC32], with string-typed headers (:message-type,
// :event-type, :content-type; :error-code and :error-message for an error message; :exception-type
// for a modeled exception).
import * as zlib from 'node:zlib';

/** CRC-32 (IEEE): zlib's where Node has it (20.15 and later), else a table. */
const crc32: (data: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data) => (zlib as unknown as { crc32(d: Uint8Array): number }).crc32(data)
    : (() => {
        const table = new Uint32Array(256);
        for (let n = 0; n < 256; n++) {
          let c = n;
          for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
          table[n] = c >>> 0;
        }
        return (data: Uint8Array) => {
          let c = 0xffffffff;
          for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
          return (c ^ 0xffffffff) >>> 0;
        };
      })();

const STRING_TYPE = 7;

/** One event-stream message with string headers. */
export function encodeMessage(headers: Record<string, string>, payload: Buffer = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const head = Buffer.allocUnsafe(1 + n.length + 3);
    head.writeUInt8(n.length, 0);
    n.copy(head, 1);
    head.writeUInt8(STRING_TYPE, 1 + n.length);
    head.writeUInt16BE(v.length, 2 + n.length);
    parts.push(head, v);
  }
  const headerBytes = Buffer.concat(parts);
  const total = 12 + headerBytes.length + payload.length + 4;
  const message = Buffer.allocUnsafe(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, 12);
  payload.copy(message, 12 + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}

/** An event message (S3 Select's `Records`, `Stats`, `Progress`, `End`; Logs' `sessionUpdate` …). */
export function encodeEvent(type: string, payload?: Buffer, contentType?: string): Buffer {
  const headers: Record<string, string> = { ':message-type': 'event', ':event-type': type };
  if (contentType) headers[':content-type'] = contentType;
  return encodeMessage(headers, payload);
}

/** An error message, which ends the stream. */
export function encodeError(code: string, message: string): Buffer {
  return encodeMessage({ ':message-type': 'error', ':error-code': code, ':error-message': message });
}

/** A modeled exception (`:exception-type`), with its JSON body. */
export function encodeException(type: string, body: unknown): Buffer {
  return encodeMessage({ ':message-type': 'exception', ':exception-type': type, ':content-type': 'application/json' }, Buffer.from(JSON.stringify(body)));
}

/** Decodes messages (for tests): headers and payload of each. */
export function decodeMessages(data: Buffer): { headers: Record<string, string>; payload: Buffer }[] {
  const out: { headers: Record<string, string>; payload: Buffer }[] = [];
  let offset = 0;
  while (offset < data.length) {
    const total = data.readUInt32BE(offset);
    const headersLength = data.readUInt32BE(offset + 4);
    if (crc32(data.subarray(offset, offset + 8)) !== data.readUInt32BE(offset + 8)) throw new Error('bad prelude CRC');
    if (crc32(data.subarray(offset, offset + total - 4)) !== data.readUInt32BE(offset + total - 4)) throw new Error('bad message CRC');
    const headers: Record<string, string> = {};
    let h = offset + 12;
    const end = h + headersLength;
    while (h < end) {
      const nameLength = data.readUInt8(h);
      const name = data.toString('utf8', h + 1, h + 1 + nameLength);
      h += 1 + nameLength + 1;
      const valueLength = data.readUInt16BE(h);
      headers[name] = data.toString('utf8', h + 2, h + 2 + valueLength);
      h += 2 + valueLength;
    }
    out.push({ headers, payload: data.subarray(end, offset + total - 4) });
    offset += total;
  }
  return out;
}
