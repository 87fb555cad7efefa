// The authentication errors, with the codes, HTTP statuses and messages AWS answers with. Each
// failure has a `kind`; the dialect (query, json, rest-json, s3) picks the code AWS uses for it.
import { ServiceError } from '@atoll/core';

/**
 * Which family of AWS front ends the caller speaks to. Query services (STS, IAM, SNS, SQS query)
 * use `InvalidClientTokenId`; JSON services (DynamoDB, SQS JSON, Logs) use the `…Exception` names
 * with status 400; rest-json services (Lambda) the same names with status 403; S3 its own codes.
 */
export type AuthDialect = 'query' | 'json' | 'rest-json' | 's3';

/** Why authentication failed, independent of the code a given service uses for it. */
export type AuthFailureKind =
  | 'missing-token'
  | 'incomplete-signature'
  | 'unknown-key'
  | 'signature-mismatch'
  | 'credential-scope'
  | 'clock-skew'
  | 'presign-expired'
  | 'malformed-authorization'
  | 'malformed-query-auth'
  | 'invalid-request'
  | 'unsigned-headers'
  | 'content-sha256-mismatch'
  | 'incomplete-body'
  | 'access-denied'
  | 'invalid-token'
  | 'expired-token';

const SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const S3_SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const TOKEN_MESSAGE = 'The security token included in the request is invalid.';
const EXPIRED_MESSAGE = 'The security token included in the request is expired';

/** A failed authentication: a ServiceError in the dialect's shape that also names its kind. */
export class AuthError extends ServiceError {
  readonly kind: AuthFailureKind;

  constructor(kind: AuthFailureKind, code: string, status: number, message: string, fields: Record<string, unknown> = {}, queryCode?: string) {
    super({ code, status, senderFault: true, queryCode }, message, fields);
    this.kind = kind;
  }
}

function named(dialect: AuthDialect, queryName: string): { code: string; queryCode?: string } {
  if (dialect === 'json' || dialect === 'rest-json') return { code: `${queryName}Exception`, queryCode: queryName };
  return { code: queryName };
}

function build(kind: AuthFailureKind, dialect: AuthDialect, queryName: string, queryStatus: number, message: string, fields?: Record<string, unknown>): AuthError {
  const { code, queryCode } = named(dialect, queryName);
  const status = dialect === 'json' ? 400 : dialect === 'rest-json' && queryStatus !== 400 ? 403 : queryStatus;
  return new AuthError(kind, code, status, message, fields, queryCode);
}

/** Error builders, one per failure; each returns the error the dialect's AWS service answers with. */
export const AuthErrors = {
  missingToken(dialect: AuthDialect): AuthError {
    if (dialect === 's3') return new AuthError('missing-token', 'AccessDenied', 403, 'Access Denied');
    const message = dialect === 'rest-json' ? 'Missing Authentication Token' : 'Request is missing Authentication Token';
    return build('missing-token', dialect, 'MissingAuthenticationToken', 403, message);
  },

  incompleteSignature(dialect: AuthDialect, message: string): AuthError {
    return build('incomplete-signature', dialect, 'IncompleteSignature', 400, message);
  },

  unknownKey(dialect: AuthDialect, accessKeyId: string): AuthError {
    if (dialect === 's3') {
      return new AuthError('unknown-key', 'InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.', {
        AWSAccessKeyId: accessKeyId,
      });
    }
    if (dialect === 'query') return new AuthError('unknown-key', 'InvalidClientTokenId', 403, TOKEN_MESSAGE);
    return new AuthError('unknown-key', 'UnrecognizedClientException', dialect === 'json' ? 400 : 403, TOKEN_MESSAGE, {}, 'InvalidClientTokenId');
  },

  /** A session token (`X-Amz-Security-Token`) that is malformed, tampered with, or not the key's. */
  invalidToken(dialect: AuthDialect): AuthError {
    if (dialect === 's3') return new AuthError('invalid-token', 'InvalidToken', 400, 'The provided token is malformed or otherwise invalid.');
    if (dialect === 'query') return new AuthError('invalid-token', 'InvalidClientTokenId', 403, TOKEN_MESSAGE);
    return new AuthError('invalid-token', 'UnrecognizedClientException', dialect === 'json' ? 400 : 403, TOKEN_MESSAGE, {}, 'InvalidClientTokenId');
  },

  /** A session token past its expiry. */
  expiredToken(dialect: AuthDialect): AuthError {
    if (dialect === 's3') return new AuthError('expired-token', 'ExpiredToken', 400, 'The provided token has expired.');
    return build('expired-token', dialect, 'ExpiredToken', 403, EXPIRED_MESSAGE);
  },

  /** The same failure in another dialect (a token error raised before the edge knew the dialect). */
  inDialect(error: AuthError, dialect: AuthDialect): AuthError {
    if (error.kind === 'invalid-token') return AuthErrors.invalidToken(dialect);
    if (error.kind === 'expired-token') return AuthErrors.expiredToken(dialect);
    return error;
  },

  /** A signature that does not verify; S3 adds the fields a client author needs to debug it. */
  signatureMismatch(dialect: AuthDialect, detail?: { accessKeyId: string; stringToSign: string; signatureProvided: string; canonicalRequest: string }): AuthError {
    if (dialect === 's3') {
      const fields: Record<string, unknown> = {};
      if (detail) {
        fields['AWSAccessKeyId'] = detail.accessKeyId;
        fields['StringToSign'] = detail.stringToSign;
        fields['SignatureProvided'] = detail.signatureProvided;
        fields['StringToSignBytes'] = hexBytes(detail.stringToSign);
        fields['CanonicalRequest'] = detail.canonicalRequest;
        fields['CanonicalRequestBytes'] = hexBytes(detail.canonicalRequest);
      }
      return new AuthError('signature-mismatch', 'SignatureDoesNotMatch', 403, S3_SIGNATURE_MESSAGE, fields);
    }
    return signatureCode('signature-mismatch', dialect, SIGNATURE_MESSAGE);
  },

  /** Scope, host-signing and clock-skew failures: AWS reports them as SignatureDoesNotMatch. */
  signatureProblem(kind: AuthFailureKind, dialect: AuthDialect, message: string): AuthError {
    return signatureCode(kind, dialect, message);
  },

  s3Malformed(message: string, fields?: Record<string, unknown>): AuthError {
    return new AuthError('malformed-authorization', 'AuthorizationHeaderMalformed', 400, `The authorization header is malformed; ${message}`, fields);
  },

  s3QueryMalformed(message: string, fields?: Record<string, unknown>): AuthError {
    return new AuthError('malformed-query-auth', 'AuthorizationQueryParametersError', 400, message, fields);
  },

  s3InvalidRequest(message: string): AuthError {
    return new AuthError('invalid-request', 'InvalidRequest', 400, message);
  },

  s3InvalidArgument(message: string, name: string, value: string): AuthError {
    return new AuthError('invalid-request', 'InvalidArgument', 400, message, { ArgumentName: name, ArgumentValue: value });
  },

  s3TimeTooSkewed(requestTime: string, serverTime: Date, maxSkewMs: number): AuthError {
    return new AuthError('clock-skew', 'RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.', {
      RequestTime: requestTime,
      ServerTime: isoSeconds(serverTime),
      MaxAllowedSkewMilliseconds: String(maxSkewMs),
    });
  },

  s3Expired(expiresSeconds: number, expiresAt: Date, serverTime: Date): AuthError {
    return new AuthError('presign-expired', 'AccessDenied', 403, 'Request has expired', {
      'X-Amz-Expires': String(expiresSeconds),
      Expires: isoSeconds(expiresAt),
      ServerTime: isoSeconds(serverTime),
    });
  },

  s3MissingDate(): AuthError {
    return new AuthError('malformed-authorization', 'AccessDenied', 403, 'AWS authentication requires a valid Date or x-amz-date header');
  },

  s3NotYetValid(): AuthError {
    return new AuthError('presign-expired', 'AccessDenied', 403, 'Request is not valid yet');
  },

  s3HeadersNotSigned(names: string[]): AuthError {
    return new AuthError('unsigned-headers', 'AccessDenied', 403, 'There were headers present in the request which were not signed', {
      HeadersNotSigned: names.join(', '),
    });
  },

  /** S3's answer when the body's SHA-256 differs from the signed `x-amz-content-sha256`. */
  contentSha256Mismatch(clientComputed: string, serverComputed: string): AuthError {
    return new AuthError('content-sha256-mismatch', 'XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.", {
      ClientComputedContentSHA256: clientComputed,
      S3ComputedContentSHA256: serverComputed,
    });
  },

  incompleteBody(message = 'The request body terminated unexpectedly'): AuthError {
    return new AuthError('incomplete-body', 'IncompleteBody', 400, message);
  },
} as const;

function signatureCode(kind: AuthFailureKind, dialect: AuthDialect, message: string): AuthError {
  if (dialect === 'json' || dialect === 'rest-json') {
    return new AuthError(kind, 'InvalidSignatureException', dialect === 'json' ? 400 : 403, message, {}, 'SignatureDoesNotMatch');
  }
  return new AuthError(kind, 'SignatureDoesNotMatch', 403, message);
}

function hexBytes(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** `2024-01-01T00:00:00Z`: S3's timestamp format in error fields. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
