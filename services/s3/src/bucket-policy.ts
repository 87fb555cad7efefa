// Evaluation of stored bucket policies for callers outside the bucket owner's account (anonymous
// requests and other accounts): explicit Deny wins, then an Allow that names the caller, the
// action and the resource. Condition blocks are not evaluated (a statement with a Condition never
// allows, and always denies when it would match otherwise).
import type { CallerIdentity } from '@atoll/core';

interface Statement {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: unknown;
}

export type PolicyDecision = 'Allow' | 'Deny' | 'None';

/** Checks that a policy document is JSON with a Statement list; returns the error text otherwise. */
export function policyError(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return "Policies must be valid JSON and the first byte must be '{'";
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return "Policies must be valid JSON and the first byte must be '{'";
  const statements = (doc as { Statement?: unknown }).Statement;
  if (statements === undefined) return 'Missing required field Statement';
  for (const s of Array.isArray(statements) ? statements : [statements]) {
    const st = s as Statement;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') return 'Invalid effect: ' + String(st.Effect);
    if (st.Principal === undefined) return 'Missing required field Principal';
    if (st.Action === undefined && st.NotAction === undefined) return 'Missing required field Action';
    if (st.Resource === undefined) return 'Missing required field Resource';
  }
  return undefined;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
  return re.test(value);
}

function principalMatches(principal: unknown, identity: CallerIdentity): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const aws = list((principal as { AWS?: string | string[] }).AWS);
  return aws.some(
    (p) =>
      p === '*' ||
      (identity.type !== 'Anonymous' &&
        (p === identity.arn || p === identity.accountId || p === `arn:aws:iam::${identity.accountId}:root`)),
  );
}

/** Decides whether `identity` may perform `action` (e.g. `s3:GetObject`) on `resource` (an S3 ARN). */
export function evaluatePolicy(policyText: string, identity: CallerIdentity, action: string, resource: string): PolicyDecision {
  let doc: { Statement?: Statement | Statement[] };
  try {
    doc = JSON.parse(policyText) as typeof doc;
  } catch {
    return 'None';
  }
  const statements = doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  let allowed = false;
  for (const s of statements) {
    if (!principalMatches(s.Principal, identity)) continue;
    const actionOk = s.Action !== undefined
      ? list(s.Action).some((a) => wildcard(a.toLowerCase(), action.toLowerCase()))
      : !list(s.NotAction).some((a) => wildcard(a.toLowerCase(), action.toLowerCase()));
    if (!actionOk) continue;
    if (!list(s.Resource).some((r) => wildcard(r, resource))) continue;
    if (s.Effect === 'Deny') return 'Deny';
    if (s.Effect === 'Allow' && s.Condition === undefined) allowed = true;
  }
  return allowed ? 'Allow' : 'None';
}
