// Lambda's errors: the classes generated from the Lambda model, with AWS's messages. Oversize
// Invoke payloads are the one exception: Lambda answers them with RequestEntityTooLargeException,
// a code its model does not name (the model's RequestTooLargeException is never sent).
import { serviceError } from '@atoll/core';
import {
  CodeStorageExceededException,
  InvalidParameterValueException,
  InvalidRequestContentException,
  InvalidZipFileException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
} from '@atoll/aws-models/lambda';

export const LambdaErrors = {
  resourceNotFound: (message: string) => new ResourceNotFoundException(message, { Type: 'User' }),
  resourceConflict: (message: string) => new ResourceConflictException(message, { Type: 'User' }),
  invalidParameter: (message: string) => new InvalidParameterValueException(message, { Type: 'User' }),
  invalidRequestContent: (message: string) => new InvalidRequestContentException(message, { Type: 'User' }),
  preconditionFailed: (message: string) => new PreconditionFailedException(message, { Type: 'User' }),
  invalidZipFile: (message: string) => new InvalidZipFileException(message, { Type: 'User' }),
  tooManyRequests: (reason: string, message = 'Rate Exceeded.') =>
    new TooManyRequestsException(message, { Type: 'User', Reason: reason as never, retryAfterSeconds: '1' }),
  requestTooLarge: (limit: number, operation = 'InvokeFunction') =>
    serviceError('RequestEntityTooLargeException', 413, `Request must be smaller than ${limit} bytes for the ${operation} operation`, { Type: 'User' }),
  codeStorageExceeded: (message: string) => new CodeStorageExceededException(message, { Type: 'User' }),
  service: (message: string) => new ServiceException(message, { Type: 'Service' }),
  functionNotFound: (arn: string) => new ResourceNotFoundException(`Function not found: ${arn}`, { Type: 'User' }),
} as const;
