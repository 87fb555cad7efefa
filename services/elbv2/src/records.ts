// The ELBv2 resources as the provider keeps them: load balancers, target groups (with their
// registered targets), listeners and rules. Stored as JSON documents by Elbv2Store.
import type { Action, Certificate, RuleCondition } from '@atoll/aws-models/elbv2';

interface Scoped {
  arn: string;
  accountId: string;
  region: string;
}

export interface LoadBalancerRecord extends Scoped {
  name: string;
  type: 'application' | 'network';
  scheme: 'internet-facing' | 'internal';
  ipAddressType: string;
  dnsName: string;
  createdTime: string;
  securityGroups: string[];
  subnets: string[];
  attributes: Record<string, string>;
}

export interface HealthCheckRecord {
  enabled: boolean;
  protocol: 'HTTP' | 'HTTPS' | 'TCP';
  port: string;
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  matcher: string;
}

export interface TargetGroupRecord extends Scoped {
  name: string;
  protocol?: string;
  protocolVersion?: string;
  port?: number;
  vpcId?: string;
  targetType: 'instance' | 'ip' | 'lambda' | 'alb';
  ipAddressType: string;
  healthCheck: HealthCheckRecord;
  attributes: Record<string, string>;
  targets: { id: string; port?: number; availabilityZone?: string }[];
}

export interface ListenerRecord extends Scoped {
  loadBalancerArn: string;
  port: number;
  protocol: string;
  certificates: Certificate[];
  sslPolicy?: string;
  alpnPolicy?: string[];
  defaultActions: Action[];
  defaultRuleArn: string;
  attributes: Record<string, string>;
}

export interface RuleRecord extends Scoped {
  listenerArn: string;
  priority: number;
  conditions: RuleCondition[];
  actions: Action[];
}
