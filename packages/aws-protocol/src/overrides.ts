// The small map of per-service protocol quirks that the models do not say.
export interface ProtocolOverrides {
  /** XML namespace of query responses for services whose model is not query-first (SQS). */
  queryXmlNamespace?: string;
  /** Namespace of rest-xml output roots when the model names none (S3). */
  xmlNamespace?: string;
  /** rest-xml errors without the `<ErrorResponse>` wrapper (S3). */
  bareXmlErrors?: boolean;
  /** Root element names of rest-xml outputs that have no payload member, by operation. */
  xmlOutputRoots?: Record<string, string>;
  /**
   * The code for a model validation failure, and how it is worded; `service`: the provider checks
   * its input against the model itself, in the service's own words and order (DynamoDB).
   */
  validation?: 'aws-json' | 'query' | 'sqs' | 's3' | 'service';
  /** The service checks enum values itself (its models' enums are narrower than what it accepts). */
  skipEnumValidation?: boolean;
}

const OVERRIDES: Record<string, ProtocolOverrides> = {
  dynamodb: { validation: 'service' },
  sqs: { queryXmlNamespace: 'http://queue.amazonaws.com/doc/2012-11-05/', validation: 'sqs', skipEnumValidation: true },
  s3: {
    xmlNamespace: 'http://s3.amazonaws.com/doc/2006-03-01/',
    bareXmlErrors: true,
    validation: 's3',
    xmlOutputRoots: {
      ListBuckets: 'ListAllMyBucketsResult',
      ListDirectoryBuckets: 'ListAllMyDirectoryBucketsResult',
      ListObjects: 'ListBucketResult',
      ListObjectsV2: 'ListBucketResult',
      ListObjectVersions: 'ListVersionsResult',
      ListMultipartUploads: 'ListMultipartUploadsResult',
      ListParts: 'ListPartsResult',
      CreateMultipartUpload: 'InitiateMultipartUploadResult',
      CompleteMultipartUpload: 'CompleteMultipartUploadResult',
      DeleteObjects: 'DeleteResult',
      GetBucketLocation: 'LocationConstraint',
      GetObjectTagging: 'Tagging',
      GetBucketTagging: 'Tagging',
      GetBucketVersioning: 'VersioningConfiguration',
      GetBucketCors: 'CORSConfiguration',
      GetBucketLifecycleConfiguration: 'LifecycleConfiguration',
      GetBucketNotificationConfiguration: 'NotificationConfiguration',
      GetObjectAttributes: 'GetObjectAttributesResponse',
      GetBucketAcl: 'AccessControlPolicy',
      GetObjectAcl: 'AccessControlPolicy',
      GetBucketAccelerateConfiguration: 'AccelerateConfiguration',
      GetBucketRequestPayment: 'RequestPaymentConfiguration',
      GetBucketLogging: 'BucketLoggingStatus',
      GetBucketWebsite: 'WebsiteConfiguration',
      GetObjectLockConfiguration: 'ObjectLockConfiguration',
      GetObjectRetention: 'Retention',
      GetObjectLegalHold: 'LegalHold',
      GetBucketOwnershipControls: 'OwnershipControls',
    },
  },
};

export function protocolOverrides(service: string): ProtocolOverrides {
  return OVERRIDES[service] ?? {};
}
