// REST APIs' `AWS` integrations to other services, through their public typed operations
// (platform.call): `arn:aws:apigateway:<region>:<service>:action/<Action>` with the mapped request
// body as the input (JSON, or form `Name=value&…` as SQS's and SNS's query protocol writes it),
// and `…:sqs:path/<account>/<queue>` (the queue's URL, SendMessage unless the body names an Action).
// The answer is the operation's output as JSON with status 200, or the service error's status and
// `{"__type","message"}`: the status selects the integration response, as in AWS.
// The call runs as the integration's `credentials` role (integration-role.ts) when it names one.
// Known limitations: form values stay strings (numeric members of a form body fail validation), S3 `path/`
// integrations are s3-integration.ts's.
import type { CallerIdentity, PlatformContext } from '@atoll/core';

const SERVICES: Record<string, string> = { sqs: 'sqs', sns: 'sns', dynamodb: 'dynamodb', lambda: 'lambda', states: 'sfn', events: 'events', kinesis: 'kinesis' };

export interface AwsCallResult {
  status: number;
  body: string;
}

/** What an `AWS` integration URI names: the service and operation, and the queue URL of an SQS path. */
export function parseAwsUri(uri: string, edge: string): { service: string; action?: string; queueUrl?: string; region: string } | undefined {
  const m = /^arn:aws:apigateway:([^:]*):([^:]+):(action|path)\/(.+)$/.exec(uri);
  if (!m) return undefined;
  const [, region, subdomain, kind, rest] = m as unknown as [string, string, string, string, string];
  const service = SERVICES[subdomain.split('.')[0]!];
  if (!service) return undefined;
  if (kind === 'action') return { service, action: rest.split('?')[0]!, region };
  if (service === 'sqs') {
    const [account, queue] = rest.split('/');
    if (!account || !queue) return undefined;
    return { service, queueUrl: `${edge}/${account}/${queue}`, region };
  }
  return undefined;
}

function inputOf(body: string): Record<string, unknown> {
  const text = body.trim();
  if (text === '') return {};
  if (text.startsWith('{')) return JSON.parse(text) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

export async function callAwsService(
  platform: PlatformContext,
  uri: string,
  body: string,
  scope: { accountId: string; region: string; requestId: string; identity?: CallerIdentity },
): Promise<AwsCallResult | undefined> {
  const target = parseAwsUri(uri, platform.endpoint());
  if (!target) return undefined;
  let input: Record<string, unknown>;
  try {
    input = inputOf(body);
  } catch {
    return { status: 400, body: JSON.stringify({ __type: 'SerializationException', message: 'The mapped request body is not valid JSON.' }) };
  }
  const action = String(input.Action ?? target.action ?? 'SendMessage');
  delete input.Action;
  delete input.Version;
  if (target.queueUrl && input.QueueUrl === undefined) input.QueueUrl = target.queueUrl;
  try {
    const output = await platform.call(target.service, action, input, {
      accountId: scope.accountId,
      region: target.region || scope.region,
      requestId: scope.requestId,
      ...(scope.identity ? { identity: scope.identity } : {}),
    });
    return { status: 200, body: JSON.stringify(output ?? {}, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v)) };
  } catch (error) {
    const e = error as { code?: string; status?: number; message?: string };
    return { status: e.status ?? 500, body: JSON.stringify({ __type: e.code ?? 'InternalFailure', message: e.message ?? 'Internal error' }) };
  }
}
