// Checks of a secret's resource policy: PutResourcePolicy refuses a document that is not a policy
// (MalformedPolicyDocumentException) and, with BlockPublicPolicy, one that grants broad access
// (PublicPolicyException); ValidateResourcePolicy reports the same findings as ValidationErrors.
// The policy is enforced by the edge's authorize step (the provider's resourcePolicy hook).
import { PublicPolicyException } from '@atoll/aws-models/secretsmanager';
import { malformedPolicy } from './secrets-errors.js';

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: unknown;
}

/** The structural problems of a policy document (empty when it is well formed). */
function structuralErrors(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return ['This resource policy contains a syntax error: it is not valid JSON.'];
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return ['This resource policy contains a syntax error: the document must be a JSON object.'];
  const raw = (doc as { Statement?: unknown }).Statement;
  if (raw === undefined) return ['This resource policy contains a syntax error: Statement is missing.'];
  const statements = Array.isArray(raw) ? raw : [raw];
  const errors: string[] = [];
  statements.forEach((s: Statement, i) => {
    if (!s || typeof s !== 'object') return errors.push(`Statement ${i} is not an object.`);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') errors.push(`Statement ${i}: Effect must be Allow or Deny.`);
    if (s.Principal === undefined && s.NotPrincipal === undefined) errors.push(`Statement ${i}: a resource policy statement must name a Principal.`);
    if (s.Action === undefined && s.NotAction === undefined) errors.push(`Statement ${i}: Action is missing.`);
    return undefined;
  });
  return errors;
}

/** True when an Allow statement names every principal (`*` or `{"AWS": "*"}`) without a condition. */
export function grantsPublicAccess(text: string): boolean {
  const doc = JSON.parse(text) as { Statement: Statement | Statement[] };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return statements.some((s) => {
    if (s.Effect !== 'Allow' || s.Condition !== undefined) return false;
    const p = s.Principal as unknown;
    if (p === '*') return true;
    const aws = p && typeof p === 'object' ? (p as { AWS?: unknown }).AWS : undefined;
    return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  });
}

export function checkPolicyDocument(text: string, blockPublic: boolean): void {
  const errors = structuralErrors(text);
  if (errors.length > 0) throw malformedPolicy(errors[0]!);
  if (blockPublic && grantsPublicAccess(text)) {
    throw new PublicPolicyException('This resource policy grants public access to the secret: BlockPublicPolicy refuses it.');
  }
}

export function validatePolicy(text: string): { CheckName: string; ErrorMessage: string }[] {
  const errors = structuralErrors(text).map((ErrorMessage) => ({ CheckName: 'IAM_POLICY_CHECK', ErrorMessage }));
  if (errors.length > 0) return errors;
  return grantsPublicAccess(text) ? [{ CheckName: 'BROAD_ACCESS_CHECK', ErrorMessage: 'This resource policy grants broad access to the secret (every principal, without a condition).' }] : [];
}
