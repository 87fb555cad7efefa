// Secrets Manager's errors with AWS's wording (the generated classes carry code, status and fault).
import {
  InvalidNextTokenException,
  InvalidParameterException,
  InvalidRequestException,
  MalformedPolicyDocumentException,
  ResourceExistsException,
  ResourceNotFoundException,
} from '@atoll/aws-models/secretsmanager';

export const secretNotFound = () => new ResourceNotFoundException("Secrets Manager can't find the specified secret.");

export const valueNotFound = (what: { versionId?: string; stage?: string }) =>
  new ResourceNotFoundException(
    what.versionId !== undefined
      ? `Secrets Manager can't find the specified secret value for VersionId: ${what.versionId}`
      : `Secrets Manager can't find the specified secret value for staging label: ${what.stage ?? 'AWSCURRENT'}`,
  );

export const secretExists = (name: string) => new ResourceExistsException(`The operation failed because the secret ${name} already exists.`);

export const versionExists = () =>
  new ResourceExistsException('You can\'t modify an existing version, you can only create a new version.');

export const markedForDeletion = () =>
  new InvalidRequestException("You can't perform this operation on the secret because it was marked for deletion.");

export const invalidRequest = (message: string) => new InvalidRequestException(message);

export const invalidParameter = (message: string) => new InvalidParameterException(message);

export const invalidNextToken = () => new InvalidNextTokenException('The NextToken value is invalid.');

export const malformedPolicy = (message: string) => new MalformedPolicyDocumentException(message);
