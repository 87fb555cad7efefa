// HTTP APIs' AWS service integrations (AWS_PROXY with an IntegrationSubtype): SQS-SendMessage,
// SQS-ReceiveMessage, SQS-DeleteMessage, SQS-PurgeQueue, Lambda-Invoke and EventBridge-PutEvents.
// The integration's RequestParameters (parameter-mapping.ts values) fill the operation's input,
// which goes to the service's public operation (platform.call); the answer is the operation's
// output as JSON with status 200, or the service error's status with `{"__type","message"}`.
// The call runs as the integration's CredentialsArn role (integration-role.ts).
import type { CallerIdentity, PlatformContext } from '@atoll/core';
import { mappingValue, type MappingSources } from './parameter-mapping.js';

interface Subtype {
  service: string;
  operation: string;
  required: readonly string[];
  /** Members the operation takes as numbers, JSON or lists (mapped values are strings). */
  numbers?: readonly string[];
  json?: readonly string[];
  lists?: readonly string[];
}

export const SUBTYPES: Record<string, Subtype> = {
  'SQS-SendMessage': { service: 'sqs', operation: 'SendMessage', required: ['QueueUrl', 'MessageBody'], numbers: ['DelaySeconds'], json: ['MessageAttributes', 'MessageSystemAttributes'] },
  'SQS-ReceiveMessage': {
    service: 'sqs',
    operation: 'ReceiveMessage',
    required: ['QueueUrl'],
    numbers: ['MaxNumberOfMessages', 'VisibilityTimeout', 'WaitTimeSeconds'],
    lists: ['AttributeNames', 'MessageAttributeNames'],
  },
  'SQS-DeleteMessage': { service: 'sqs', operation: 'DeleteMessage', required: ['QueueUrl', 'ReceiptHandle'] },
  'SQS-PurgeQueue': { service: 'sqs', operation: 'PurgeQueue', required: ['QueueUrl'] },
  'Lambda-Invoke': { service: 'lambda', operation: 'Invoke', required: ['FunctionName'] },
  'EventBridge-PutEvents': { service: 'events', operation: 'PutEvents', required: ['Detail', 'DetailType', 'Source'], json: ['Resources'] },
};

/** The input of a subtype's operation from the integration's RequestParameters. */
export function subtypeInput(subtype: Subtype, parameters: Record<string, string>, s: MappingSources): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, template] of Object.entries(parameters)) {
    const value = mappingValue(template, s);
    if (subtype.numbers?.includes(name)) input[name] = Number(value);
    else if (subtype.json?.includes(name)) {
      try {
        input[name] = JSON.parse(value);
      } catch {
        input[name] = value;
      }
    } else if (subtype.lists?.includes(name)) input[name] = value.split(',').map((v) => v.trim()).filter(Boolean);
    else input[name] = value;
  }
  if (subtype.operation === 'Invoke') {
    if (input.Payload !== undefined) input.Payload = Buffer.from(String(input.Payload));
  } else if (subtype.operation === 'PutEvents') {
    const { Detail, DetailType, Source, EventBusName, Resources, Time, Region: _r, TraceHeader } = input;
    return { Entries: [{ Detail, DetailType, Source, ...(EventBusName ? { EventBusName } : {}), ...(Resources ? { Resources } : {}), ...(Time ? { Time: new Date(String(Time)) } : {}), ...(TraceHeader ? { TraceHeader } : {}) }] };
  }
  delete input.Region;
  return input;
}

export async function callSubtype(
  platform: PlatformContext,
  subtypeName: string,
  parameters: Record<string, string>,
  s: MappingSources,
  identity?: CallerIdentity,
): Promise<{ status: number; body: string }> {
  const subtype = SUBTYPES[subtypeName];
  if (!subtype) return { status: 500, body: JSON.stringify({ message: 'Internal Server Error' }) };
  const input = subtypeInput(subtype, parameters, s);
  const region = typeof parameters.Region === 'string' ? mappingValue(parameters.Region, s) : s.req.region;
  try {
    const output = await platform.call(subtype.service, subtype.operation, input, {
      accountId: s.req.accountId,
      region: region || s.req.region,
      requestId: s.req.requestId,
      ...(identity ? { identity } : {}),
    });
    return { status: 200, body: JSON.stringify(output ?? {}, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v)) };
  } catch (error) {
    const e = error as { code?: string; status?: number; message?: string };
    return { status: e.status ?? 500, body: JSON.stringify({ __type: e.code ?? 'InternalFailure', message: e.message ?? 'Internal error' }) };
  }
}
