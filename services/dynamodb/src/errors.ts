// DynamoDB's service errors (codes, HTTP status, fields) and the mapping of engine validation
// failures to ValidationException.
import { ServiceError, serviceError } from '@atoll/core';
import {
  ConditionalCheckFailedException,
  IdempotentParameterMismatchException,
  LimitExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@atoll/aws-models/dynamodb';
import { ExpiredIteratorException, TrimmedDataAccessException } from '@atoll/aws-models/dynamodbstreams';
import { ValidationError } from './attribute-value.js';

export const Errors = {
  validation: (message: string) => serviceError('ValidationException', 400, message),
  notFound: (message = 'Requested resource not found') => new ResourceNotFoundException(message),
  inUse: (message: string) => new ResourceInUseException(message),
  conditionalCheckFailed: (item?: Record<string, unknown>) =>
    new ConditionalCheckFailedException('The conditional request failed', item ? { Item: item as never } : undefined),
  transactionCanceled: (reasons: { Code: string; Message?: string; Item?: unknown }[]) =>
    new TransactionCanceledException(
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      { CancellationReasons: reasons as never },
    ),
  idempotentMismatch: () =>
    new IdempotentParameterMismatchException(
      'The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical.',
    ),
  limitExceeded: (message: string) => new LimitExceededException(message),
  expiredIterator: (message: string) => new ExpiredIteratorException(message),
  trimmedData: (message: string) => new TrimmedDataAccessException(message),
};

/** Runs `fn`, turning engine ValidationErrors into ValidationException. */
export function validated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ValidationError) throw Errors.validation(error.message);
    throw error;
  }
}

export function toServiceError(error: unknown): unknown {
  if (error instanceof ValidationError) return Errors.validation(error.message);
  return error;
}

export { ServiceError };
