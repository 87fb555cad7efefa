// The SQS errors this provider throws: the generated model classes (code, status, awsQuery code),
// plus the common errors SQS answers that are not in its model.
import { CommonErrors, ServiceError } from '@atoll/core';
import { QueueDoesNotExist } from '@atoll/aws-models/sqs';

export {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  EmptyBatchRequest,
  InvalidAttributeName,
  InvalidAttributeValue,
  InvalidBatchEntryId,
  InvalidMessageContents,
  MessageNotInflight,
  PurgeQueueInProgress,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ResourceNotFoundException,
  TooManyEntriesInBatchRequest,
  UnsupportedOperation,
} from '@atoll/aws-models/sqs';

export const invalidParameterValue = (message: string): ServiceError => CommonErrors.invalidParameterValue(message);
export const missingParameter = (name: string): ServiceError =>
  new ServiceError({ code: 'MissingParameter', status: 400, senderFault: true }, `The request must contain the parameter ${name}.`);
export const queueDoesNotExist = (): ServiceError => new QueueDoesNotExist('The specified queue does not exist.');
