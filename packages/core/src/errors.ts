// Error types shared by every part of Atoll. A ServiceError is an AWS error as the caller sees it
// (code, HTTP status, sender fault); an AtollError is a platform failure with a stable code and a cause.

const SERVICE_ERROR = Symbol.for('atoll.ServiceError');
const ATOLL_ERROR = Symbol.for('atoll.AtollError');

export interface ServiceErrorSpec {
  /** The error code the caller sees, e.g. `QueueDoesNotExist`. */
  code: string;
  /** HTTP status code. */
  status: number;
  /** True when the caller is at fault (4xx), false for a server fault. */
  senderFault: boolean;
  /**
   * The code used by the awsQuery protocol (and by JSON services marked awsQueryCompatible),
   * e.g. `AWS.SimpleQueueService.NonExistentQueue`. Defaults to `code`.
   */
  queryCode?: string;
}

/**
 * An AWS service error. Generated classes (one per modeled error) extend it; the protocol layer
 * serializes it in the shape of the service's protocol. Extra modeled members go in `fields`.
 */
export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly senderFault: boolean;
  readonly queryCode: string;
  readonly fields: Record<string, unknown>;
  /** Headers to add to the error response (e.g. S3's `x-amz-delete-marker`). */
  headers: Record<string, string> = {};

  constructor(spec: ServiceErrorSpec, message?: string, fields: Record<string, unknown> = {}) {
    super(message ?? '');
    this.name = spec.code;
    this.code = spec.code;
    this.status = spec.status;
    this.senderFault = spec.senderFault;
    this.queryCode = spec.queryCode ?? spec.code;
    this.fields = fields;
  }

  // Checked by symbol so that the check survives duplicate copies of this package; subclasses
  // (generated error classes) keep the ordinary prototype check.
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== ServiceError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SERVICE_ERROR] === true;
  }
}
Object.defineProperty(ServiceError.prototype, SERVICE_ERROR, { value: true });

/** Builds a ServiceError for codes that are not in a service model (auth, validation, throttling). */
export function serviceError(code: string, status: number, message: string, fields?: Record<string, unknown>): ServiceError {
  return new ServiceError({ code, status, senderFault: status < 500 }, message, fields);
}

/** Common errors that every AWS service answers with, whatever its model says. */
export const CommonErrors = {
  accessDenied: (message = 'User is not authorized to perform this operation') => serviceError('AccessDenied', 403, message),
  accessDeniedException: (message: string) => serviceError('AccessDeniedException', 403, message),
  invalidClientTokenId: (message = 'The security token included in the request is invalid.') =>
    serviceError('InvalidClientTokenId', 403, message),
  unrecognizedClient: (message = 'The security token included in the request is invalid.') =>
    serviceError('UnrecognizedClientException', 400, message),
  signatureDoesNotMatch: (message: string) => serviceError('SignatureDoesNotMatch', 403, message),
  incompleteSignature: (message: string) => serviceError('IncompleteSignature', 400, message),
  missingAuthenticationToken: (message = 'Missing Authentication Token') =>
    serviceError('MissingAuthenticationToken', 403, message),
  validation: (message: string) => serviceError('ValidationException', 400, message),
  invalidParameterValue: (message: string) => serviceError('InvalidParameterValue', 400, message),
  invalidAction: (message: string) => serviceError('InvalidAction', 400, message),
  unknownOperation: (message = '') => serviceError('UnknownOperationException', 400, message),
  serialization: (message: string) => serviceError('SerializationException', 400, message),
  malformedQueryString: (message: string) => serviceError('MalformedQueryString', 400, message),
  notImplemented: (operation: string, service: string) =>
    serviceError('NotImplemented', 501, `The operation ${operation} of ${service} is not implemented by Atoll.`),
  internal: (message = 'We encountered an internal error. Please try again.') =>
    new ServiceError({ code: 'InternalFailure', status: 500, senderFault: false }, message),
  requestEntityTooLarge: (message = 'Request entity too large') => serviceError('RequestEntityTooLarge', 413, message),
  throttling: (message = 'Rate exceeded') => serviceError('ThrottlingException', 400, message),
  serviceUnavailable: (message = 'Service is unavailable. Please try again shortly.') =>
    new ServiceError({ code: 'ServiceUnavailable', status: 503, senderFault: false }, message),
} as const;

/** A platform failure (configuration, storage, startup), never sent to an AWS client as-is. */
export class AtollError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AtollError';
    this.code = code;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== AtollError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ATOLL_ERROR] === true;
  }
}
Object.defineProperty(AtollError.prototype, ATOLL_ERROR, { value: true });
