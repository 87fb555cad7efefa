// Public API of @atoll/auth: SigV4 authentication, aws-chunked body decoding and IAM policy
// evaluation. The edge wires these into its authenticate and authorize steps.
export { AuthError, AuthErrors } from './auth-errors.js';
export type { AuthDialect, AuthFailureKind } from './auth-errors.js';
export {
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  UNSIGNED_PAYLOAD,
  authenticationKind,
  formatAmzDate,
  needsBodyHash,
  peekCredentialScope,
  verifySigV4,
} from './sigv4-verifier.js';
export type { AuthResult, AuthenticationKind, CredentialScope, SecretLookup, SigV4Request, VerifyOptions } from './sigv4-verifier.js';
export { EMPTY_SHA256, canonicalPath, canonicalQuery, deriveSigningKey, parseQuery, sha256Hex, uriEncode } from './canonical-request.js';
export { AwsChunkedDecoder } from './aws-chunked-decoder.js';
export type { AwsChunkedDecoderOptions, ChunkSigning } from './aws-chunked-decoder.js';
export { PayloadHashVerifier } from './payload-hash-verifier.js';
export { evaluatePolicies } from './policy-evaluator.js';
export type { PolicyDecision, PolicyRequest, RequestPrincipal } from './policy-evaluator.js';
export { parsePolicyDocument } from './policy-document.js';
export type { ParsePolicyOptions, PolicyConditionBlock, PolicyDocument, PolicyPrincipal, PolicyStatement, StringOrList } from './policy-document.js';
export { arnMatch, wildcardMatch } from './condition-operators.js';
export { accessDeniedError, authorize, globalConditionKeys } from './authorizer.js';
export type { AuthorizeDecision, AuthorizeRequest, RequestFacts } from './authorizer.js';
