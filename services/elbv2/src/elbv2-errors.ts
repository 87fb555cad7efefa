// ELBv2 errors: the generated model errors re-exported, plus ValidationError (the awsQuery
// protocol's common validation code, not in the model) and helpers with AWS's messages.
import { serviceError, type ServiceError } from '@atoll/core';
import {
  ListenerNotFoundException,
  LoadBalancerNotFoundException,
  RuleNotFoundException,
  TargetGroupNotFoundException,
} from '@atoll/aws-models/elbv2';

export {
  CertificateNotFoundException,
  DuplicateListenerException,
  DuplicateLoadBalancerNameException,
  DuplicateTagKeysException,
  DuplicateTargetGroupNameException,
  IncompatibleProtocolsException,
  InvalidConfigurationRequestException,
  InvalidTargetException,
  ListenerNotFoundException,
  LoadBalancerNotFoundException,
  OperationNotPermittedException,
  PriorityInUseException,
  ResourceInUseException,
  RuleNotFoundException,
  TargetGroupAssociationLimitException,
  TargetGroupNotFoundException,
  TooManyActionsException,
  TooManyRulesException,
  TooManyTagsException,
  TooManyTargetGroupsException,
  UnsupportedProtocolException,
} from '@atoll/aws-models/elbv2';

export const validationError = (message: string): ServiceError => serviceError('ValidationError', 400, message);

export const loadBalancerNotFound = (): ServiceError => new LoadBalancerNotFoundException('One or more load balancers not found');
export const targetGroupNotFound = (): ServiceError => new TargetGroupNotFoundException('One or more target groups not found');
export const listenerNotFound = (): ServiceError => new ListenerNotFoundException('One or more listeners not found');
export const ruleNotFound = (): ServiceError => new RuleNotFoundException('One or more rules not found');
