// CloudTrail: the platform's audit trail, read through LookupEvents. The edge records every call
// (management and data events alike) in CloudTrail's event shape; this service only reads them.
//
// Known limitations:
// - LookupEvents only. Trails, event data stores, Lake queries, event selectors and insights are
//   not implemented (501 NotImplemented); EventCategory `insight` finds no events.
// - An event's Resources are read from its request parameters (bucket, queue, table, topic,
//   function, user), not from AWS's per-operation resource lists.
// - Events are kept as long as the data directory; there is no 90-day expiry.
// - Operations added to CloudTrail's model since 2023 (botocore 1.43) are not implemented (501):
//   dashboards (Create/Get/Update/Delete/List/StartDashboardRefresh), Get/PutEventConfiguration,
//   GenerateQuery, SearchSampleQueries and ListInsightsData.
import { createHash } from 'node:crypto';
import type { AuditEvent, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import type { Event, LookupEventsRequest, LookupEventsResult, Resource } from '@atoll/aws-models/cloudtrail';
import {
  InvalidLookupAttributesException,
  InvalidMaxResultsException,
  InvalidNextTokenException,
  InvalidTimeRangeException,
} from '@atoll/aws-models/cloudtrail';

const DEFAULT_MAX_RESULTS = 50;
/**
 * Stored batches (up to 256 events each) one call reads at most: a lookup that matches little
 * answers a short page and a token to read on, instead of parsing the whole trail in one turn of
 * the event loop. A page may then hold fewer events than MaxResults, as AWS's may.
 */
const MAX_BATCHES_PER_CALL = 64;

/** Request parameters that name a resource, and the CloudTrail resource type they name. */
const RESOURCE_PARAMETERS: [parameter: string, type: string][] = [
  ['bucket', 'AWS::S3::Bucket'],
  ['queueUrl', 'AWS::SQS::Queue'],
  ['queueName', 'AWS::SQS::Queue'],
  ['tableName', 'AWS::DynamoDB::Table'],
  ['topicArn', 'AWS::SNS::Topic'],
  ['functionName', 'AWS::Lambda::Function'],
  ['userName', 'AWS::IAM::User'],
];

function resourcesOf(event: AuditEvent): Resource[] {
  const params = event.requestParameters ?? {};
  const out: Resource[] = [];
  for (const [parameter, type] of RESOURCE_PARAMETERS) {
    const value = params[parameter];
    if (typeof value === 'string') out.push({ ResourceType: type, ResourceName: value });
  }
  return out;
}

function usernameOf(event: AuditEvent): string | undefined {
  return event.userIdentity.type === 'Root' ? 'root' : event.userIdentity.userName;
}

/** LookupAttributes as a filter over stored events (AWS allows one attribute per lookup). */
function attributeFilter(input: LookupEventsRequest): ((event: AuditEvent) => boolean) | undefined {
  const attributes = input.LookupAttributes ?? [];
  if (attributes.length > 1) throw new InvalidLookupAttributesException('You cannot specify more than one lookup attribute.');
  const attribute = attributes[0];
  if (!attribute) return undefined;
  const value = attribute.AttributeValue;
  switch (attribute.AttributeKey) {
    case 'EventId':
      return (e) => e.eventID === value;
    case 'EventName':
      return (e) => e.eventName === value;
    case 'EventSource':
      return (e) => e.eventSource === value;
    case 'ReadOnly':
      return (e) => String(e.readOnly) === value;
    case 'Username':
      return (e) => usernameOf(e) === value;
    case 'AccessKeyId':
      return (e) => e.userIdentity.accessKeyId === value;
    case 'ResourceName':
      return (e) => resourcesOf(e).some((r) => r.ResourceName === value);
    case 'ResourceType':
      return (e) => resourcesOf(e).some((r) => r.ResourceType === value);
    default:
      throw new InvalidLookupAttributesException(`The lookup attribute ${String(attribute.AttributeKey)} is not valid.`);
  }
}

function toEvent(event: AuditEvent): Event {
  return {
    EventId: event.eventID,
    EventName: event.eventName,
    ReadOnly: String(event.readOnly),
    AccessKeyId: event.userIdentity.accessKeyId,
    EventTime: new Date(event.eventTime),
    EventSource: event.eventSource,
    Username: usernameOf(event),
    Resources: resourcesOf(event),
    CloudTrailEvent: JSON.stringify(event),
  };
}

/**
 * A page token names the position to continue from and the lookup it belongs to, so that a token
 * is refused with other parameters, as AWS does.
 */
function lookupKey(input: LookupEventsRequest, ctx: RequestContext): string {
  const parts = [ctx.accountId, ctx.region, JSON.stringify(input.LookupAttributes ?? []), input.StartTime?.getTime() ?? '', input.EndTime?.getTime() ?? ''];
  return createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 16);
}

function readToken(token: string, key: string): number {
  const m = /^(\d+)\.([A-Za-z0-9_-]{16})$/.exec(Buffer.from(token, 'base64url').toString('latin1'));
  if (!m || m[2] !== key) throw new InvalidNextTokenException('A token that is not valid, or a token that was previously used in a request with different parameters.');
  return Number(m[1]);
}

export class CloudTrailProvider implements ServiceProvider {
  readonly service = 'cloudtrail';
  readonly operations;

  constructor(platform: PlatformContext) {
    this.operations = {
      LookupEvents: async (input: LookupEventsRequest, ctx: RequestContext): Promise<LookupEventsResult> => {
        if (input.StartTime && input.EndTime && input.StartTime > input.EndTime) {
          throw new InvalidTimeRangeException('Occurs if the timestamp values are not valid. Either the start time occurs after the end time, or the time range is outside the range of possible values.');
        }
        const limit = input.MaxResults ?? DEFAULT_MAX_RESULTS;
        if (!Number.isInteger(limit) || limit < 1 || limit > DEFAULT_MAX_RESULTS) throw new InvalidMaxResultsException('This exception is thrown if the limit specified is not valid.');
        const match = attributeFilter(input);
        if (input.EventCategory === 'insight') return { Events: [] };
        const key = lookupKey(input, ctx);
        const before = input.NextToken ? readToken(input.NextToken, key) : undefined;
        // One event more than the page, to know whether a next page exists.
        const found = await platform.auditTrail.page({
          accountId: ctx.accountId,
          region: ctx.region,
          startTime: input.StartTime,
          endTime: input.EndTime,
          limit: limit + 1,
          before,
          match,
          maxBatches: MAX_BATCHES_PER_CALL,
        });
        const page = found.events.slice(0, limit);
        // A full page reads on after its last event; a short one only where the scan stopped early.
        const readOn = found.events.length > limit ? page[page.length - 1]!.seq : found.next;
        const token = readOn !== undefined ? Buffer.from(`${readOn}.${key}`, 'latin1').toString('base64url') : undefined;
        return { Events: page.map((f) => toEvent(f.event)), ...(token ? { NextToken: token } : {}) };
      },
    };
  }
}

export function createCloudTrailService(platform: PlatformContext): CloudTrailProvider {
  return new CloudTrailProvider(platform);
}
