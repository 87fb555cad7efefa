// ECR's errors with AWS's wording, for the operations and the registry (which maps them to the
// distribution spec's codes in registry/registry-errors.ts).
import {
  ImageAlreadyExistsException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  InvalidParameterException,
  LayersNotFoundException,
  LifecyclePolicyNotFoundException,
  RepositoryAlreadyExistsException,
  RepositoryNotEmptyException,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  UploadNotFoundException,
} from '@atoll/aws-models/ecr';

export const repositoryNotFound = (name: string, registryId: string) =>
  new RepositoryNotFoundException(`The repository with name '${name}' does not exist in the registry with id '${registryId}'`);

export const repositoryExists = (name: string, registryId: string) =>
  new RepositoryAlreadyExistsException(`The repository with name '${name}' already exists in the registry with id '${registryId}'`);

export const repositoryNotEmpty = (name: string, registryId: string) =>
  new RepositoryNotEmptyException(`The repository with name '${name}' in registry with id '${registryId}' cannot be deleted because it still contains images`);

export const imageNotFound = (id: { imageDigest?: string; imageTag?: string }, name: string, registryId: string) =>
  new ImageNotFoundException(
    `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${name}' in the registry with id '${registryId}'`,
  );

export const tagImmutable = (tag: string, name: string) =>
  new ImageTagAlreadyExistsException(`The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`);

export const imageExists = (digest: string, tag: string | undefined, name: string, registryId: string) =>
  new ImageAlreadyExistsException(
    `Image with digest '${digest}'${tag !== undefined ? ` and tag '${tag}'` : ''} already exists in the repository with name '${name}' in registry with id '${registryId}'`,
  );

export const layersNotFound = (digests: string[], name: string, registryId: string) =>
  new LayersNotFoundException(
    `Layers with digests '[${digests.join(', ')}]' required for pushing image into repository with name '${name}' in the registry with id '${registryId}' do not exist`,
  );

export const policyNotFound = (name: string, registryId: string) =>
  new RepositoryPolicyNotFoundException(`Repository policy does not exist for the repository with name '${name}' in the registry with id '${registryId}'`);

export const lifecyclePolicyNotFound = (name: string, registryId: string) =>
  new LifecyclePolicyNotFoundException(`Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${registryId}'`);

export const uploadNotFound = (uploadId: string, name: string, registryId: string) =>
  new UploadNotFoundException(`Upload with id '${uploadId}' does not exist for the repository with name '${name}' in the registry with id '${registryId}'`);

export const invalidParameter = (message: string) => new InvalidParameterException(message);
