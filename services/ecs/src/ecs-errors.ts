// ECS's modeled errors (generated classes from `@atoll/aws-models/ecs`), with the messages ECS
// answers with as defaults where ECS always says the same thing.
import * as generated from '@atoll/aws-models/ecs';

export { ClientException, InvalidParameterException, ServerException } from '@atoll/aws-models/ecs';

export class ClusterNotFoundException extends generated.ClusterNotFoundException {
  constructor(message = 'Cluster not found.') {
    super(message);
  }
}
export class ServiceNotFoundException extends generated.ServiceNotFoundException {
  constructor(message = 'Service not found.') {
    super(message);
  }
}
export class ServiceNotActiveException extends generated.ServiceNotActiveException {
  constructor(message = 'Service was not ACTIVE.') {
    super(message);
  }
}
export class ClusterContainsServicesException extends generated.ClusterContainsServicesException {
  constructor(message = 'The Cluster cannot be deleted while Services are active.') {
    super(message);
  }
}
export class ClusterContainsTasksException extends generated.ClusterContainsTasksException {
  constructor(message = 'The Cluster cannot be deleted while Tasks are active.') {
    super(message);
  }
}
export class ResourceNotFoundException extends generated.ResourceNotFoundException {
  constructor(message = 'The specified resource could not be found.') {
    super(message);
  }
}
