// The protocol layer's view of an HTTP exchange: a parsed request in, a response to write out.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export interface ProtocolRequest {
  method: string;
  /** The URL path exactly as received (percent-encoded). */
  rawPath: string;
  /** The raw query string without `?` (may be empty). */
  rawQuery: string;
  /** Decoded query parameters; a name may repeat. */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The buffered body, for operations without a streaming input. */
  body?: Buffer;
  /** The body stream, for operations whose input payload is streaming (S3 PutObject, UploadPart). */
  bodyStream?: Readable;
}

export interface ProtocolResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: Buffer | string | Readable;
}

/** What the serializers need to know about the exchange besides the output. */
export interface ResponseContext {
  requestId: string;
  /** `json` requests answer in the JSON version they were sent with. */
  requestContentType?: string;
  /** HEAD responses carry no body. */
  method: string;
}
