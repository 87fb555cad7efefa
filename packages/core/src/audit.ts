// The audit trail's shape: one event per API call, as CloudTrail records it. The telemetry package
// stores it (AuditLog); services read it through PlatformContext.auditTrail (CloudTrail's
// LookupEvents).
import type { CallerIdentity } from './provider.js';

export interface AuditEvent {
  eventVersion: '1.08';
  eventID: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  userIdentity: {
    type: CallerIdentity['type'];
    principalId: string;
    arn: string;
    accountId: string;
    accessKeyId?: string;
    userName?: string;
  };
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
  requestID: string;
  readOnly: boolean;
  eventType: 'AwsApiCall';
  managementEvent: boolean;
  recipientAccountId: string;
}

export interface AuditQuery {
  accountId: string;
  region?: string;
  eventName?: string;
  eventSource?: string;
  startTime?: Date;
  endTime?: Date;
  limit?: number;
  /** Return events older than this sequence number (for pagination). */
  before?: number;
  /** Keeps only the events it accepts (counted against `limit` after it). */
  match?: (event: AuditEvent) => boolean;
  /**
   * Stop after reading this many stored batches (of up to 256 events each), so that a lookup that
   * matches little cannot hold the event loop for a scan of the whole trail; `next` then says where
   * to read on.
   */
  maxBatches?: number;
}

export interface AuditPage {
  /** Newest first. `seq` is an event's position in the trail. */
  events: { seq: number; event: AuditEvent }[];
  /**
   * Where to read on (as `before`), when the page stopped at `limit` events or at `maxBatches`
   * with older batches left; absent when the scan reached the start of the trail.
   */
  next?: number;
}

/** The stored trail, newest first. `seq` is an event's position: pass it as `before` for the next page. */
export interface AuditTrail {
  page(q: AuditQuery): Promise<AuditPage>;
}
