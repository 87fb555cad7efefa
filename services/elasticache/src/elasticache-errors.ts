// The errors ElastiCache answers, from the generated model (code, status, sender fault), and small
// constructors for the messages this provider uses more than once.
import { InvalidParameterCombinationException, InvalidParameterValueException } from '@atoll/aws-models/elasticache';

export {
  CacheClusterAlreadyExistsFault,
  CacheClusterNotFoundFault,
  CacheParameterGroupAlreadyExistsFault,
  CacheParameterGroupNotFoundFault,
  DefaultUserRequired,
  DuplicateUserNameFault,
  InvalidARNFault,
  InvalidCacheClusterStateFault,
  InvalidCacheParameterGroupStateFault,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  InvalidReplicationGroupStateFault,
  InvalidSnapshotStateFault,
  InvalidUserGroupStateFault,
  InvalidUserStateFault,
  NodeGroupNotFoundFault,
  NodeGroupsPerReplicationGroupQuotaExceededFault,
  NodeQuotaForClusterExceededFault,
  ReplicationGroupAlreadyExistsFault,
  ReplicationGroupNotFoundFault,
  SnapshotAlreadyExistsFault,
  SnapshotNotFoundFault,
  TagNotFoundFault,
  TagQuotaPerResourceExceeded,
  TestFailoverNotAvailableFault,
  UserAlreadyExistsFault,
  UserGroupAlreadyExistsFault,
  UserGroupNotFoundFault,
  UserNotFoundFault,
} from '@atoll/aws-models/elasticache';

export const invalidValue = (message: string) => new InvalidParameterValueException(message);
export const invalidCombination = (message: string) => new InvalidParameterCombinationException(message);
