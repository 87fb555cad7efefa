// Verifies AWS Signature Version 4 on a request: the Authorization header or a presigned query
// string, in the order AWS checks them (form, date, clock skew, credential scope, key, signature).
// It owns authentication only; the caller buffers or streams the body and decides what to authorize.
import type { IncomingHttpHeaders } from 'node:http';
import { AtollError, serviceError, type CallerIdentity } from '@atoll/core';
import { AuthErrors, type AuthDialect, type AuthError } from './auth-errors.js';
import {
  ALGORITHM,
  EMPTY_SHA256,
  MalformedEscapeError,
  buildCanonicalRequest,
  buildStringToSign,
  canonicalPath,
  canonicalQuery,
  decodeComponent,
  deriveSigningKey,
  hmacHex,
  parseQuery,
  signaturesEqual,
  type QueryParameter,
} from './canonical-request.js';

export interface SigV4Request {
  method: string;
  /** The raw path as received, still percent-encoded. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** Lower-case header names, as Node gives them. */
  headers: IncomingHttpHeaders;
  /** Hex SHA-256 of the body, when the caller has buffered it (see `needsBodyHash`). */
  bodyHash?: string;
}

export interface SecretLookup {
  secretAccessKey: string;
  identity: CallerIdentity;
}

export interface VerifyOptions {
  /**
   * Resolves an access key to its secret and identity, or undefined when the key is unknown or
   * inactive. `sessionToken` is the request's `X-Amz-Security-Token`, for temporary credentials;
   * return undefined when it is required and does not match.
   */
  lookupSecret(accessKeyId: string, context: { sessionToken?: string }): Promise<SecretLookup | undefined>;
  /** The server time (defaults to now). */
  now?: Date;
  /** The signing name this endpoint expects; the credential scope must name it. */
  service?: string;
  /** The region this endpoint expects; omit to accept the scope's region (multi-region serving). */
  region?: string;
  /** Allowed clock difference, 15 minutes by default. */
  maxSkewMs?: number;
  /** Error dialect; defaults to `s3` when the scope's service is s3, else `query`. */
  dialect?: AuthDialect;
}

export interface AuthResult {
  identity: CallerIdentity;
  accessKeyId: string;
  region: string;
  service: string;
  /** kSigning, for verifying `aws-chunked` chunk signatures. */
  signingKey: Buffer;
  /** The request signature: the seed of a streaming body's signature chain. */
  signature: string;
  /** The request timestamp exactly as signed (`20240101T000000Z`). */
  date: string;
  requestTime: Date;
  /** `20240101/us-east-1/s3/aws4_request`. */
  scope: string;
  /** The payload hash that was signed: a hex digest, `UNSIGNED-PAYLOAD` or a `STREAMING-…` value. */
  contentSha256: string;
  presigned: boolean;
  signedHeaders: readonly string[];
  sessionToken?: string;
}

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
const STREAMING_ECDSA = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD';
const STREAMING_ECDSA_TRAILER = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER';
const SPECIAL_PAYLOADS = new Set([UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER]);
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const CONTENT_SHA256 = 'x-amz-content-sha256';
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const MAX_PRESIGN_SECONDS = 604800;
const DEFAULT_SKEW_MS = 15 * 60 * 1000;
const CREDENTIAL_SHAPE = 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';
const S3_UNSUPPORTED = 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.';

/** How a request carries its signature. */
export type AuthenticationKind = 'header' | 'presigned' | 'none';

export function authenticationKind(request: Pick<SigV4Request, 'headers' | 'query'>): AuthenticationKind {
  if (request.headers.authorization !== undefined) return 'header';
  if (/(^|&)X-Amz-Algorithm(=|&|$)/.test(request.query)) return 'presigned';
  return 'none';
}

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/**
 * Reads the credential scope without verifying anything, e.g. to route a request by its signing
 * name before authentication. Undefined when the request carries no well-formed credential.
 */
export function peekCredentialScope(request: Pick<SigV4Request, 'headers' | 'query'>): CredentialScope | undefined {
  let credential: string | undefined;
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    credential = /Credential=([^,\s]+)/.exec(header)?.[1];
  } else {
    const raw = /(?:^|&)X-Amz-Credential=([^&]*)/.exec(request.query)?.[1];
    if (raw !== undefined) credential = decodeComponent(raw);
  }
  const parts = credential?.split('/');
  if (!parts || parts.length !== 5) return undefined;
  return { accessKeyId: parts[0]!, date: parts[1]!, region: parts[2]!, service: parts[3]! };
}

/**
 * True when the signature covers a non-empty body and the request does not state its hash in
 * `x-amz-content-sha256`: the caller must buffer the body and pass `bodyHash`. S3 never needs it
 * (it requires the header, or signs presigned URLs with `UNSIGNED-PAYLOAD`). A request without
 * Content-Length and Transfer-Encoding has an empty body, whose hash the verifier knows.
 */
export function needsBodyHash(request: Pick<SigV4Request, 'headers' | 'query'>, scope: CredentialScope | undefined = peekCredentialScope(request)): boolean {
  const kind = authenticationKind(request);
  if (kind === 'none') return false;
  if (scope?.service === 's3') return false;
  if (request.headers['x-amz-content-sha256'] !== undefined) return false;
  if (kind === 'presigned' && /(^|&)X-Amz-Content-Sha256=/i.test(request.query)) return false;
  return !hasNoBody(request.headers);
}

/** A request without Content-Length (or with 0) and without Transfer-Encoding has an empty body. */
function hasNoBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

interface ParsedAuth {
  presigned: boolean;
  credential: string;
  signature: string;
  signedHeaders: readonly string[];
  amzDate: string;
  expires?: number;
  sessionToken?: string;
}

interface Context {
  request: SigV4Request;
  options: VerifyOptions;
  dialect: AuthDialect;
  s3: boolean;
  now: Date;
  maxSkewMs: number;
  params: QueryParameter[];
}

/**
 * Verifies the request's SigV4 signature. Resolves to the caller's identity and the signing
 * material; rejects with an `AuthError` (a ServiceError in the dialect's shape) otherwise.
 */
export async function verifySigV4(request: SigV4Request, options: VerifyOptions): Promise<AuthResult> {
  // The scope is read unverified only when the caller names neither the dialect nor the service.
  const signingName = options.service ?? (options.dialect === 's3' ? 's3' : peekCredentialScope(request)?.service);
  const dialect: AuthDialect = options.dialect ?? (signingName === 's3' ? 's3' : 'query');
  const s3 = dialect === 's3' || signingName === 's3';
  let params: QueryParameter[];
  try {
    params = parseQuery(request.query);
  } catch (err) {
    if (!(err instanceof MalformedEscapeError)) throw err;
    throw s3 ? serviceError('InvalidURI', 400, "Couldn't parse the specified URI.") : serviceError('MalformedQueryString', 400, err.message);
  }
  const ctx: Context = {
    request,
    options,
    dialect,
    s3,
    now: options.now ?? new Date(),
    maxSkewMs: options.maxSkewMs ?? DEFAULT_SKEW_MS,
    params,
  };
  const kind = authenticationKind(request);
  if (kind === 'none') throw AuthErrors.missingToken(dialect);
  if (kind === 'header' && hasParam(params, 'X-Amz-Algorithm')) {
    if (s3) {
      throw AuthErrors.s3InvalidArgument(
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
        'Authorization',
        String(request.headers.authorization),
      );
    }
    throw AuthErrors.signatureMismatch(dialect);
  }
  const parsed = kind === 'header' ? parseAuthorizationHeader(ctx) : parsePresignedQuery(ctx);
  return verifyParsed(ctx, parsed);
}

function hasParam(params: QueryParameter[], name: string): boolean {
  return params.some((p) => p.name === name);
}

function param(params: QueryParameter[], name: string): string | undefined {
  const found = params.find((p) => p.name === name);
  return found === undefined ? undefined : decodeComponent(found.value);
}

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The Authorization header as SDKs write it: read with one expression, the general parser else. */
const SDK_AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^\s,]+), ?SignedHeaders=([^\s,]+), ?Signature=([^\s,]+)$/;

function parseAuthorizationHeader(ctx: Context): ParsedAuth {
  const headers = ctx.request.headers;
  const sdk = typeof headers.authorization === 'string' ? SDK_AUTHORIZATION.exec(headers.authorization) : null;
  const amzDate = sdk ? (headerText(headers, 'x-amz-date') ?? headerText(headers, 'date')) : undefined;
  if (sdk && amzDate !== undefined) {
    return {
      presigned: false,
      credential: sdk[1]!,
      signature: sdk[3]!,
      signedHeaders: signedHeaderList(sdk[2]!),
      amzDate,
      sessionToken: headerText(headers, 'x-amz-security-token'),
    };
  }
  return parseAuthorizationFields(ctx);
}

/**
 * SignedHeaders as a list of lower-case names, kept per text: a client signs the same set on every
 * request, and the same name strings then find their header without being looked up afresh.
 */
const signedHeaderLists = new Map<string, string[]>();
const SIGNED_HEADER_LISTS = 256;

function signedHeaderList(text: string): string[] {
  let list = signedHeaderLists.get(text);
  if (list === undefined) {
    list = text.toLowerCase().split(';');
    if (signedHeaderLists.size >= SIGNED_HEADER_LISTS) signedHeaderLists.delete(signedHeaderLists.keys().next().value as string);
    signedHeaderLists.set(text, list);
  }
  return list;
}

function parseAuthorizationFields(ctx: Context): ParsedAuth {
  const { dialect, s3 } = ctx;
  const header = String(ctx.request.headers.authorization).trim();
  if (!header.startsWith('AWS4-')) {
    if (s3) throw AuthErrors.s3InvalidRequest(S3_UNSUPPORTED);
    throw AuthErrors.missingToken(dialect);
  }
  const space = header.search(/\s/);
  const algorithm = space < 0 ? header : header.slice(0, space);
  const rest = space < 0 ? '' : header.slice(space + 1);
  const fields = new Map<string, string>();
  for (const piece of rest.split(/[\s,]+/)) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    if (eq < 0) {
      const message = `'${piece}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'`;
      throw s3 ? AuthErrors.s3Malformed(CREDENTIAL_SHAPE) : AuthErrors.incompleteSignature(dialect, message);
    }
    fields.set(piece.slice(0, eq), piece.slice(eq + 1));
  }
  const amzDate = headerText(ctx.request.headers, 'x-amz-date') ?? headerText(ctx.request.headers, 'date');
  const missing: string[] = [];
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!fields.get(name)) missing.push(`Authorization header requires '${name}' parameter.`);
  }
  if (amzDate === undefined) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (missing.length > 0) {
    if (s3) {
      if (amzDate === undefined && missing.length === 1) {
        throw AuthErrors.s3MissingDate();
      }
      throw AuthErrors.s3Malformed(CREDENTIAL_SHAPE);
    }
    throw AuthErrors.incompleteSignature(dialect, `${missing.join(' ')} Authorization=${header}`);
  }
  if (algorithm !== ALGORITHM) {
    if (s3) throw AuthErrors.s3InvalidRequest(S3_UNSUPPORTED);
    throw AuthErrors.incompleteSignature(dialect, `Unsupported AWS 'algorithm': '${algorithm}'.`);
  }
  return {
    presigned: false,
    credential: fields.get('Credential')!,
    signature: fields.get('Signature')!,
    signedHeaders: fields.get('SignedHeaders')!.toLowerCase().split(';'),
    amzDate: amzDate!,
    sessionToken: headerText(ctx.request.headers, 'x-amz-security-token'),
  };
}

function parsePresignedQuery(ctx: Context): ParsedAuth {
  const { dialect, s3, params } = ctx;
  const algorithm = param(params, 'X-Amz-Algorithm');
  const credential = param(params, 'X-Amz-Credential');
  const signature = param(params, 'X-Amz-Signature');
  const signedHeaders = param(params, 'X-Amz-SignedHeaders');
  const amzDate = param(params, 'X-Amz-Date');
  const expiresText = param(params, 'X-Amz-Expires');
  if (s3) {
    if (algorithm !== ALGORITHM) throw AuthErrors.s3QueryMalformed('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    if (!credential || !signature || !signedHeaders || !amzDate || expiresText === undefined) {
      throw AuthErrors.s3QueryMalformed(
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      );
    }
  } else {
    const missing: string[] = [];
    const required: Array<[string, string | undefined]> = [
      ['X-Amz-Algorithm', algorithm],
      ['X-Amz-Credential', credential],
      ['X-Amz-Signature', signature],
      ['X-Amz-SignedHeaders', signedHeaders],
      ['X-Amz-Date', amzDate],
    ];
    for (const [name, value] of required) if (!value) missing.push(`AWS query-string parameters must include '${name}'.`);
    if (missing.length > 0) throw AuthErrors.incompleteSignature(dialect, `${missing.join(' ')} Re-examine the query-string parameters.`);
    if (algorithm !== ALGORITHM) throw AuthErrors.missingToken(dialect);
  }
  let expires: number | undefined;
  if (expiresText !== undefined) {
    const fail = (message: string): AuthError => (s3 ? AuthErrors.s3QueryMalformed(message) : AuthErrors.incompleteSignature(dialect, message));
    if (!/^-?\d+$/.test(expiresText)) throw fail('X-Amz-Expires should be a number');
    expires = Number(expiresText);
    if (expires < 0) throw fail('X-Amz-Expires must be non-negative');
    if (expires > MAX_PRESIGN_SECONDS) throw fail(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGN_SECONDS}`);
  }
  return {
    presigned: true,
    credential: credential!,
    signature: signature!,
    signedHeaders: signedHeaders!.toLowerCase().split(';'),
    amzDate: amzDate!,
    expires,
    sessionToken: param(params, 'X-Amz-Security-Token'),
  };
}

/** `20240101T000000Z` for a Date. */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** The last timestamp read (as epoch ms, NaN when invalid): requests signed in the same second share it. */
let lastAmzDate = { text: '', ms: Number.NaN };

function parseAmzDate(text: string): Date | undefined {
  if (text !== lastAmzDate.text) lastAmzDate = { text, ms: parseAmzDateText(text)?.getTime() ?? Number.NaN };
  return Number.isNaN(lastAmzDate.ms) ? undefined : new Date(lastAmzDate.ms);
}

function parseAmzDateText(text: string): Date | undefined {
  const m = ISO_BASIC.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls impossible fields over (month 13, second 61): such a date is refused.
  const exact =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  return exact ? date : undefined;
}

function skewText(ms: number): string {
  return ms % 60000 === 0 ? `${ms / 60000} min.` : `${Math.round(ms / 1000)} sec.`;
}

function checkTime(ctx: Context, parsed: ParsedAuth, requestTime: Date): void {
  const { dialect, s3, now, maxSkewMs } = ctx;
  const t = requestTime.getTime();
  const n = now.getTime();
  if (parsed.presigned && parsed.expires !== undefined) {
    const expiresAt = new Date(t + parsed.expires * 1000);
    if (n > expiresAt.getTime()) {
      if (s3) throw AuthErrors.s3Expired(parsed.expires, expiresAt, now);
      throw AuthErrors.signatureProblem(
        'presign-expired',
        dialect,
        `Signature expired: ${parsed.amzDate} is now earlier than ${formatAmzDate(new Date(n - parsed.expires * 1000))} (${formatAmzDate(now)} - ${skewText(parsed.expires * 1000)})`,
      );
    }
    if (t > n + maxSkewMs) {
      if (s3) throw AuthErrors.s3NotYetValid();
      throw AuthErrors.signatureProblem(
        'clock-skew',
        dialect,
        `Signature not yet current: ${parsed.amzDate} is still later than ${formatAmzDate(new Date(n + maxSkewMs))} (${formatAmzDate(now)} + ${skewText(maxSkewMs)})`,
      );
    }
    return;
  }
  if (t < n - maxSkewMs) {
    if (s3) throw AuthErrors.s3TimeTooSkewed(parsed.amzDate, now, maxSkewMs);
    throw AuthErrors.signatureProblem(
      'clock-skew',
      dialect,
      `Signature expired: ${parsed.amzDate} is now earlier than ${formatAmzDate(new Date(n - maxSkewMs))} (${formatAmzDate(now)} - ${skewText(maxSkewMs)})`,
    );
  }
  if (t > n + maxSkewMs) {
    if (s3) throw AuthErrors.s3TimeTooSkewed(parsed.amzDate, now, maxSkewMs);
    throw AuthErrors.signatureProblem(
      'clock-skew',
      dialect,
      `Signature not yet current: ${parsed.amzDate} is still later than ${formatAmzDate(new Date(n + maxSkewMs))} (${formatAmzDate(now)} + ${skewText(maxSkewMs)})`,
    );
  }
}

function checkScope(ctx: Context, parsed: ParsedAuth, scope: CredentialScope, terminator: string): void {
  const { options, dialect, s3 } = ctx;
  const expectedDate = parsed.amzDate.slice(0, 8);
  if (s3) {
    const prefix = parsed.presigned ? 'Error parsing the X-Amz-Credential parameter; ' : '';
    const fail = (message: string, fields?: Record<string, unknown>): AuthError =>
      parsed.presigned ? AuthErrors.s3QueryMalformed(prefix + message, fields) : AuthErrors.s3Malformed(message, fields);
    if (options.region !== undefined && scope.region !== options.region) {
      throw fail(`the region '${scope.region}' is wrong; expecting '${options.region}'`, { Region: options.region });
    }
    if (scope.service !== 's3') throw fail(`incorrect service "${scope.service}". This endpoint belongs to "s3".`);
    if (terminator !== 'aws4_request') throw fail(`incorrect terminal "${terminator}". This endpoint uses "aws4_request".`);
    if (scope.date !== expectedDate) {
      throw fail(`Invalid credential date "${scope.date}". This date is not the same as X-Amz-Date: "${expectedDate}".`);
    }
    return;
  }
  const matches =
    (options.region === undefined || scope.region === options.region) &&
    (options.service === undefined || scope.service === options.service) &&
    terminator === 'aws4_request' &&
    scope.date === expectedDate;
  if (matches) return;
  const problems: string[] = [];
  if (options.region !== undefined && scope.region !== options.region) {
    problems.push(`Credential should be scoped to a valid region, not '${scope.region}'.`);
  }
  if (options.service !== undefined && scope.service !== options.service) {
    problems.push(`Credential should be scoped to correct service: '${options.service}'.`);
  }
  if (terminator !== 'aws4_request') problems.push(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`);
  if (scope.date !== expectedDate) {
    problems.push(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${expectedDate}', from '${parsed.amzDate}'.`,
    );
  }
  if (problems.length > 0) throw AuthErrors.signatureProblem('credential-scope', dialect, problems.join(' '));
}

function payloadHashFor(ctx: Context, parsed: ParsedAuth): string {
  const { request, s3, params } = ctx;
  const header = headerText(request.headers, 'x-amz-content-sha256');
  const queryParam = parsed.presigned ? params.find((p) => p.name.length === CONTENT_SHA256.length && p.name.toLowerCase() === CONTENT_SHA256) : undefined;
  const fromQuery = queryParam === undefined ? undefined : decodeComponent(queryParam.value);
  const stated = fromQuery ?? header;
  if (s3) {
    if (stated === undefined) {
      if (parsed.presigned) return UNSIGNED_PAYLOAD;
      throw AuthErrors.s3InvalidRequest('Missing required header for this request: x-amz-content-sha256');
    }
    if (!SPECIAL_PAYLOADS.has(stated) && !HEX_SHA256.test(stated)) {
      if (stated === STREAMING_ECDSA || stated === STREAMING_ECDSA_TRAILER) {
        throw serviceError('NotImplemented', 501, 'SigV4a (ECDSA) streaming signatures are not implemented by Atoll.');
      }
      throw AuthErrors.s3InvalidArgument(
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
        'x-amz-content-sha256',
        stated,
      );
    }
    return stated;
  }
  if (stated !== undefined) return stated;
  if (request.bodyHash === undefined && hasNoBody(request.headers)) return EMPTY_SHA256;
  if (request.bodyHash === undefined) {
    throw new AtollError('AUTH_BODY_HASH_REQUIRED', 'verifySigV4 needs bodyHash for this request (see needsBodyHash).');
  }
  return request.bodyHash;
}

async function verifyParsed(ctx: Context, parsed: ParsedAuth): Promise<AuthResult> {
  const { request, dialect, s3, options } = ctx;
  const parts = parsed.credential.split('/');
  if (parts.length !== 5) {
    if (s3) {
      throw parsed.presigned
        ? AuthErrors.s3QueryMalformed(`Error parsing the X-Amz-Credential parameter; ${CREDENTIAL_SHAPE}`)
        : AuthErrors.s3Malformed(CREDENTIAL_SHAPE);
    }
    throw AuthErrors.incompleteSignature(
      dialect,
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${parsed.credential}'`,
    );
  }
  const [accessKeyId, scopeDate, region, service, terminator] = parts as [string, string, string, string, string];
  if (!parsed.signedHeaders.includes('host') && !parsed.signedHeaders.includes(':authority')) {
    throw AuthErrors.signatureProblem('signature-mismatch', dialect, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const requestTime = parseAmzDate(parsed.amzDate);
  if (!requestTime) {
    if (s3 && !parsed.presigned) throw AuthErrors.s3MissingDate();
    if (s3) throw AuthErrors.s3QueryMalformed(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
    throw AuthErrors.incompleteSignature(dialect, `Date must be in ISO-8601 'basic format'. Got '${parsed.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  checkTime(ctx, parsed, requestTime);
  const scopeParts: CredentialScope = { accessKeyId, date: scopeDate, region, service };
  checkScope(ctx, parsed, scopeParts, terminator);

  const found = await options.lookupSecret(accessKeyId, { sessionToken: parsed.sessionToken });
  if (!found) throw AuthErrors.unknownKey(dialect, accessKeyId);

  if (s3 && !parsed.presigned) {
    const signed = new Set(parsed.signedHeaders);
    const unsigned = Object.keys(request.headers).filter((name) => name.startsWith('x-amz-') && !signed.has(name));
    if (unsigned.length > 0) throw AuthErrors.s3HeadersNotSigned(unsigned.sort());
  }
  const payloadHash = payloadHashFor(ctx, parsed);
  let canonicalUri: string;
  try {
    canonicalUri = canonicalPath(request.path, s3 || service === 's3');
  } catch (err) {
    if (!(err instanceof MalformedEscapeError)) throw err;
    throw serviceError('InvalidURI', 400, "Couldn't parse the specified URI.");
  }
  const canonicalRequest = buildCanonicalRequest({
    method: request.method.toUpperCase(),
    canonicalUri,
    canonicalQuery: canonicalQuery(ctx.params, parsed.presigned ? 'X-Amz-Signature' : undefined),
    signedHeaders: parsed.signedHeaders,
    headers: request.headers,
    payloadHash,
  });
  const scope = `${scopeDate}/${region}/${service}/${terminator}`;
  const stringToSign = buildStringToSign(parsed.amzDate, scope, canonicalRequest);
  const signingKey = deriveSigningKey(found.secretAccessKey, scopeDate, region, service);
  const expected = hmacHex(signingKey, stringToSign);
  if (!signaturesEqual(expected, parsed.signature)) {
    throw AuthErrors.signatureMismatch(dialect, {
      accessKeyId,
      stringToSign,
      signatureProvided: parsed.signature,
      canonicalRequest,
    });
  }
  if (HEX_SHA256.test(payloadHash) && request.bodyHash !== undefined && request.bodyHash.toLowerCase() !== payloadHash.toLowerCase()) {
    throw s3 ? AuthErrors.contentSha256Mismatch(payloadHash, request.bodyHash) : AuthErrors.signatureMismatch(dialect);
  }
  return {
    identity: found.identity,
    accessKeyId,
    region,
    service,
    signingKey,
    signature: parsed.signature,
    date: parsed.amzDate,
    requestTime,
    scope,
    contentSha256: payloadHash,
    presigned: parsed.presigned,
    signedHeaders: parsed.signedHeaders,
    ...(parsed.sessionToken !== undefined ? { sessionToken: parsed.sessionToken } : {}),
  };
}
