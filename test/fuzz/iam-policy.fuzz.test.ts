// Fuzzing IAM policy documents: generated documents, part valid grammar and part junk, through IAM's
// grammar check (identity, resource and trust policies) and the evaluator. Properties: validation
// answers a document or a typed 4xx error and nothing else; a document that validates always
// evaluates to one of the three decisions; the order of statements never changes a decision; an
// explicit Deny of everything wins over any Allow.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluatePolicies, validatePolicyDocument, type PolicyKind, type PolicyRequest } from '@atoll/auth';
import { expectOnlyTypedErrors, fuzzParams } from './fuzz-settings.js';

const ACCOUNT = '123456789012';
const actions = fc.constantFrom('sqs:SendMessage', 'sqs:*', 's3:Get*', 's3:GetObject', '*', 'dynamodb:?etItem', 'iam:PassRole', 'SQS:sendmessage', 'sts:AssumeRole', 'lambda:InvokeFunction');
const resources = fc.constantFrom(
  '*',
  `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`,
  `arn:aws:sqs:*:${ACCOUNT}:*`,
  'arn:aws:s3:::bucket/*',
  'arn:aws:s3:::bucket/${aws:username}/*',
  `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t`,
  `arn:aws:iam::${ACCOUNT}:role/app`,
);
const conditionKeys = fc.constantFrom('aws:SourceIp', 'aws:username', 'aws:PrincipalTag/team', 's3:prefix', 'aws:CurrentTime', 'aws:SecureTransport', 'aws:SourceArn', 'aws:RequestTag/env');
const operators = fc.constantFrom(
  'StringEquals', 'StringLike', 'StringNotEquals', 'StringEqualsIgnoreCase', 'ArnLike', 'ArnEquals', 'IpAddress', 'NotIpAddress',
  'NumericLessThan', 'DateGreaterThan', 'Bool', 'Null', 'ForAnyValue:StringLike', 'ForAllValues:StringEquals', 'StringLikeIfExists', 'BinaryEquals',
);
const values = fc.oneof(fc.constantFrom('10.0.0.0/8', 'alice', 'a*', 'true', '2020-01-01T00:00:00Z', '5', `arn:aws:sns:*:${ACCOUNT}:*`, '${aws:username}', ''), fc.string({ maxLength: 12 }));
const oneOrMany = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.array(arb, { minLength: 0, maxLength: 3 }));
const principals = fc.oneof(
  fc.constant('*'),
  fc.record({ AWS: oneOrMany(fc.constantFrom(ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`, `arn:aws:iam::${ACCOUNT}:user/alice`, '*', 'nonsense')) }),
  fc.record({ Service: oneOrMany(fc.constantFrom('sns.amazonaws.com', 'lambda.amazonaws.com', 'bogus')) }),
  fc.record({ Federated: fc.constantFrom('accounts.google.com', `arn:aws:iam::${ACCOUNT}:oidc-provider/issuer.example`) }),
);
const junk = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.string({ maxLength: 8 }), fc.constant({}), fc.constant([]));

const statement = fc.record(
  {
    Sid: fc.oneof(fc.constantFrom('A1', 'ok', 'bad sid!'), junk),
    Effect: fc.oneof(fc.constantFrom('Allow', 'Deny'), fc.constantFrom('allow', 'Maybe'), junk),
    Action: oneOrMany(actions),
    NotAction: oneOrMany(actions),
    Resource: oneOrMany(resources),
    NotResource: oneOrMany(resources),
    Principal: principals,
    NotPrincipal: principals,
    Condition: fc.oneof(fc.dictionary(operators, fc.dictionary(conditionKeys, oneOrMany(values), { maxKeys: 2 }), { maxKeys: 2 }), junk),
    Junk: junk,
  },
  { requiredKeys: [] },
);
const document = fc.record(
  {
    Version: fc.oneof(fc.constantFrom('2012-10-17', '2008-10-17', '2020-01-01'), junk),
    Id: fc.oneof(fc.string({ maxLength: 8 }), junk),
    Statement: fc.oneof(statement, fc.array(statement, { maxLength: 4 }), junk),
  },
  { requiredKeys: [] },
);
/** Identity-policy statements close to the grammar, so that most validate and reach the evaluator. */
const identityStatement = fc
  .tuple(fc.constantFrom('Allow', 'Deny'), fc.boolean(), oneOrMany(actions), fc.boolean(), oneOrMany(resources), fc.option(fc.dictionary(operators, fc.dictionary(conditionKeys, oneOrMany(values), { minKeys: 1, maxKeys: 2 }), { minKeys: 1, maxKeys: 2 })))
  .map(([Effect, not, action, notResource, resource, condition]) => ({
    Effect,
    [not ? 'NotAction' : 'Action']: action,
    [notResource ? 'NotResource' : 'Resource']: resource,
    ...(condition ? { Condition: condition } : {}),
  }));
const identityDocument = fc.array(identityStatement, { minLength: 1, maxLength: 4 }).map((Statement) => ({ Version: '2012-10-17', Statement }));
const kinds = fc.constantFrom<PolicyKind>('identity', 'resource', 'trust');

const requests = fc.record({
  action: fc.constantFrom('sqs:SendMessage', 's3:GetObject', 'dynamodb:GetItem', 'iam:PassRole', 'sts:AssumeRole', 'lambda:InvokeFunction'),
  resource: fc.constantFrom(`arn:aws:sqs:us-east-1:${ACCOUNT}:orders`, 'arn:aws:s3:::bucket/alice/x', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t`, '*'),
  context: fc.dictionary(conditionKeys, fc.oneof(values, fc.array(values, { maxLength: 2 })), { maxKeys: 3 }),
  principal: fc.constantFrom(undefined, { arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT }, { service: 'sns.amazonaws.com' }),
}) as fc.Arbitrary<PolicyRequest>;

/** The document as text, or a mangled copy of it (truncated, a character replaced). */
const texts = fc.tuple(document, fc.nat(), fc.constantFrom('as-is', 'truncate', 'replace', 'object')).map(([doc, n, how]) => {
  const text = JSON.stringify(doc);
  if (how === 'truncate') return text.slice(0, n % (text.length + 1));
  if (how === 'replace') {
    const i = n % Math.max(1, text.length);
    return text.slice(0, i) + '"{}[],:\\'[n % 9] + text.slice(i + 1);
  }
  return how === 'object' ? (doc as object) : text;
});

describe('IAM policy documents under fuzzing', () => {
  test('validation answers a document or a typed 4xx error', () => {
    fc.assert(
      fc.property(texts, kinds, (text, kind) => {
        expectOnlyTypedErrors(() => validatePolicyDocument(text, kind), () => `${kind} ${typeof text === 'string' ? text : JSON.stringify(text)}`);
      }),
      fuzzParams(3000),
    );
  });

  test('a document that validates evaluates to a decision, whatever the order of its statements', () => {
    let evaluated = 0;
    fc.assert(
      fc.property(identityDocument, requests, (doc, request) => {
        let valid;
        try {
          valid = validatePolicyDocument(JSON.stringify(doc), 'identity');
        } catch {
          return;
        }
        evaluated++;
        const decision = evaluatePolicies(request, [valid]);
        assert.ok(['Allow', 'ExplicitDeny', 'ImplicitDeny'].includes(decision), decision);
        const statements = Array.isArray(valid.Statement) ? valid.Statement : [valid.Statement];
        const reversed = { ...valid, Statement: [...statements].reverse() };
        assert.equal(evaluatePolicies(request, [reversed]), decision, 'statement order changed the decision');
        const denyAll = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] };
        assert.equal(evaluatePolicies(request, [valid, denyAll as never]), 'ExplicitDeny');
      }),
      fuzzParams(3000),
    );
    assert.ok(evaluated > 100, `only ${evaluated} generated documents validated: the generator is too far off the grammar`);
  });
});
