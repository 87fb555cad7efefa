// S3's error codes as the caller sees them: code, HTTP status, S3's message text and the extra
// fields S3 puts in its XML error body (`Key`, `BucketName`, `VersionId` …). Errors the S3 model
// declares use its generated classes; the many that S3 answers without modelling them are built
// with serviceError.
import { ServiceError, serviceError } from '@atoll/core';
import {
  AccessDenied,
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  InvalidRequest,
  NoSuchBucket,
  NoSuchKey,
  NoSuchUpload,
} from '@atoll/aws-models/s3';

const modeled = <E extends ServiceError>(error: E, fields: Record<string, unknown> = {}): E => {
  Object.assign(error.fields, fields);
  return error;
};

const err = (code: string, status: number, message: string, fields?: Record<string, unknown>): ServiceError =>
  serviceError(code, status, message, fields);

export const S3Errors = {
  noSuchBucket: (bucket: string) => modeled(new NoSuchBucket('The specified bucket does not exist'), { BucketName: bucket }),
  noSuchKey: (key: string) => modeled(new NoSuchKey('The specified key does not exist.'), { Key: key }),
  noSuchVersion: (key: string, versionId: string) =>
    err('NoSuchVersion', 404, 'The specified version does not exist.', { Key: key, VersionId: versionId }),
  noSuchUpload: (uploadId: string) =>
    modeled(
      new NoSuchUpload(
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      ),
      { UploadId: uploadId },
    ),
  invalidBucketName: (bucket: string) => err('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket }),
  bucketAlreadyExists: (bucket: string) =>
    modeled(
      new BucketAlreadyExists(
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
      ),
      { BucketName: bucket },
    ),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    modeled(new BucketAlreadyOwnedByYou('Your previous request to create the named bucket succeeded and you already own it.'), {
      BucketName: bucket,
    }),
  bucketNotEmpty: (bucket: string) =>
    err('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: bucket }),
  invalidArgument: (message: string, name?: string, value?: string) =>
    err('InvalidArgument', 400, message, name !== undefined ? { ArgumentName: name, ArgumentValue: value ?? '' } : {}),
  malformedXml: () =>
    err('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema'),
  entityTooLarge: (size: number, max: number) =>
    err('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: String(size),
      MaxSizeAllowed: String(max),
    }),
  entityTooSmall: (size: number, min: number) =>
    err('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.', {
      ProposedSize: String(size),
      MinSizeAllowed: String(min),
    }),
  incompleteBody: () => err('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header'),
  badDigest: (algorithm?: string) =>
    err(
      'BadDigest',
      400,
      algorithm
        ? `The ${algorithm} you specified did not match the calculated checksum.`
        : 'The Content-MD5 you specified did not match what we received.',
    ),
  invalidDigest: () => err('InvalidDigest', 400, 'The Content-MD5 you specified is not valid.'),
  invalidChecksum: (algorithm: string) =>
    err('InvalidRequest', 400, `Value for x-amz-checksum-${algorithm.toLowerCase()} header is invalid.`),
  preconditionFailed: (condition: string) =>
    err('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: condition }),
  notModified: () => err('NotModified', 304, 'Not Modified'),
  invalidRange: (range: string, size: number) =>
    err('InvalidRange', 416, 'The requested range is not satisfiable', { RangeRequested: range, ActualObjectSize: String(size) }),
  methodNotAllowed: (method: string, resourceType: string) =>
    err('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', {
      Method: method,
      ResourceType: resourceType,
    }),
  invalidPart: () =>
    err(
      'InvalidPart',
      400,
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    ),
  invalidPartOrder: () =>
    err('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.'),
  invalidRequest: (message: string) => modeled(new InvalidRequest(message)),
  accessDenied: () => modeled(new AccessDenied('Access Denied')),
  invalidLocationConstraint: () => err('InvalidLocationConstraint', 400, 'The specified location-constraint is not valid'),
  illegalLocationConstraint: (constraint?: string) =>
    err(
      'IllegalLocationConstraintException',
      400,
      `The ${constraint ?? 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    ),
  noSuchConfiguration: (code: string, message: string, bucket: string) => err(code, 404, message, { BucketName: bucket }),
  noSuchTagSet: (bucket: string) => err('NoSuchTagSet', 404, 'The TagSet does not exist', { BucketName: bucket }),
  invalidTag: (message: string) => err('InvalidTag', 400, message),
  invalidStorageClass: () => err('InvalidStorageClass', 400, 'The storage class you specified is not valid'),
  keyTooLong: () => err('KeyTooLongError', 400, 'Your key is too long'),
  corsForbidden: () => err('AccessForbidden', 403, 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.'),
  invalidPolicy: (message: string) => err('MalformedPolicy', 400, message),
  objectLocked: () => modeled(new AccessDenied('Access Denied because object protected by object lock.')),
  objectLockConfigurationNotFound: (bucket: string) =>
    err('ObjectLockConfigurationNotFoundError', 404, 'Object Lock configuration does not exist for this bucket', { BucketName: bucket }),
  noSuchObjectLockConfiguration: () =>
    err('NoSuchObjectLockConfiguration', 404, 'The specified object does not have a ObjectLock configuration'),
  invalidBucketState: (message: string) => err('InvalidBucketState', 409, message),
  invalidPartNumber: (range: string, count: number) =>
    err('InvalidPartNumber', 416, 'The requested partnumber is not satisfiable', { PartNumberRequested: range, ActualPartCount: String(count) }),
  invalidTargetBucketForLogging: (message: string, target: string) => err('InvalidTargetBucketForLogging', 400, message, { TargetBucket: target }),
  crossLocationLoggingProhibited: (source: string, target: string) =>
    err('CrossLocationLoggingProhibited', 403, 'Cross S3 location logging not allowed. ', { SourceBucketLocation: source, TargetBucketLocation: target }),
  tooManyConfigurations: (kind: string) =>
    err('TooManyConfigurations', 400, `You are attempting to create a new ${kind} configuration, but have already reached the 1,000-configuration limit.`),
  conditionalRequestConflict: () =>
    err('ConditionalRequestConflict', 409, 'A conflicting conditional operation is currently in progress against this resource. Please try again.'),
} as const;

/** Adds the response headers S3 sends with some errors (`x-amz-delete-marker` on a deleted key). */
export function withHeaders(error: ServiceError, headers: Record<string, string>): ServiceError {
  Object.assign(error.headers, headers);
  return error;
}
