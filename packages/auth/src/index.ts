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
export { SessionTokenSealer, UnknownSealingKey } from './session-token.js';
export type { SealingKey, SessionTokenClaims, SessionTokenOptions } from './session-token.js';
export { AwsChunkedDecoder } from './aws-chunked-decoder.js';
export type { AwsChunkedDecoderOptions, ChunkSigning } from './aws-chunked-decoder.js';
export { PayloadHashVerifier } from './payload-hash-verifier.js';
export { evaluatePolicies, evaluatePolicySet, prepareRequest, statementApplies, substituteVariables } from './policy-evaluator.js';
export type { EvaluateOptions, MatchedStatement, PolicyDecision, PolicyRequest, PreparedRequest, PrincipalMatch, RequestPrincipal, SetEvaluation } from './policy-evaluator.js';
export { compileDocument, compilePolicies, compilePolicy } from './policy-compiler.js';
export type { CompiledCondition, CompiledPolicy, CompiledStatement } from './policy-compiler.js';
export { parsePolicyDocument, policySize, validatePolicyDocument } from './policy-validation.js';
export type { ParsePolicyOptions, PolicyKind, PolicyLimits } from './policy-validation.js';
export { CONDITION_OPERATORS, splitConditionOperator } from './policy-document.js';
export type { PolicyConditionBlock, PolicyDocument, PolicyPrincipal, PolicyStatement, StringOrList } from './policy-document.js';
export { statementPositions } from './policy-positions.js';
export type { StatementPosition, TextPosition } from './policy-positions.js';
export { ConditionContext, globalConditionKeys } from './policy-context.js';
export type { RequestFacts } from './policy-context.js';
export { arnMatch, wildcardMatch } from './condition-operators.js';
export { accessDeniedError, accessDeniedMessage, authorize, requestPrincipal } from './authorizer.js';
export type { AnyPolicy, AuthorizeDecision, AuthorizeRequest, DecisionSource } from './authorizer.js';
