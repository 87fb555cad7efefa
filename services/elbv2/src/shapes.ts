// Records → the ELBv2 model's output shapes, and the small helpers (ids, ARNs, paging, names) the
// operations share.
import { formatArn, randomHex } from '@atoll/core';
import type { Listener, LoadBalancer, Rule, TargetGroup } from '@atoll/aws-models/elbv2';
import { validationError } from './elbv2-errors.js';
import type { ListenerRecord, LoadBalancerRecord, RuleRecord, TargetGroupRecord } from './records.js';

export const VPC_ID = 'vpc-0a7011000000000f1';
export const HOSTED_ZONE_ID = 'Z35SXDOTRQ7X7K';

export const elbArn = (accountId: string, region: string, resource: string): string =>
  formatArn({ service: 'elasticloadbalancing', region, accountId, resource });

export const newResourceId = (): string => randomHex(8);

/** `app/<name>/<id>` or `net/<name>/<id>`: the part of a load balancer ARN that listeners and rules repeat. */
export function loadBalancerPath(lbArn: string): string {
  const i = lbArn.indexOf(':loadbalancer/');
  return lbArn.slice(i + ':loadbalancer/'.length);
}

export function checkName(kind: 'Load balancer' | 'Target group', name: string): void {
  if (name.length > 32) throw validationError(`${kind} name '${name}' cannot be longer than '32' characters`);
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw validationError(`${kind} name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  if (name.startsWith('-') || name.endsWith('-')) throw validationError(`${kind} name '${name}' cannot begin or end with a hyphen`);
  if (kind === 'Load balancer' && name.startsWith('internal-')) throw validationError(`Load balancer name '${name}' cannot begin with 'internal-'`);
}

/** Marker paging as ELBv2 does it: the marker is the index of the next item. */
export function paginate<T>(items: readonly T[], marker: string | undefined, pageSize: number | undefined): { page: T[]; next?: string } {
  const start = marker === undefined ? 0 : Number.parseInt(marker, 10);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw validationError('The marker is not valid');
  const size = pageSize ?? 400;
  const page = items.slice(start, start + size);
  return start + size < items.length ? { page, next: String(start + size) } : { page };
}

export function loadBalancerShape(lb: LoadBalancerRecord): LoadBalancer {
  const zones = lb.subnets.length > 0 ? lb.subnets : ['subnet-0a70110000000000a'];
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: HOSTED_ZONE_ID,
    CreatedTime: new Date(lb.createdTime),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: VPC_ID,
    State: { Code: 'active' },
    Type: lb.type,
    AvailabilityZones: zones.map((SubnetId, i) => ({ ZoneName: `${lb.region}${'abcdef'[i % 6]}`, SubnetId, LoadBalancerAddresses: [] })),
    ...(lb.type === 'application' ? { SecurityGroups: lb.securityGroups } : {}),
    IpAddressType: lb.ipAddressType as LoadBalancer['IpAddressType'],
  };
}

export function targetGroupShape(tg: TargetGroupRecord, loadBalancerArns: string[]): TargetGroup {
  const hc = tg.healthCheck;
  const out: TargetGroup = {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    HealthCheckEnabled: hc.enabled,
    HealthCheckIntervalSeconds: hc.intervalSeconds,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds,
    HealthyThresholdCount: hc.healthyThreshold,
    UnhealthyThresholdCount: hc.unhealthyThreshold,
    HealthCheckPath: hc.protocol === 'TCP' ? undefined : hc.path,
    LoadBalancerArns: loadBalancerArns,
    TargetType: tg.targetType,
  };
  if (tg.targetType !== 'lambda') {
    out.Protocol = tg.protocol as TargetGroup['Protocol'];
    out.Port = tg.port;
    out.VpcId = tg.vpcId ?? VPC_ID;
    out.HealthCheckProtocol = hc.protocol;
    out.HealthCheckPort = hc.port;
    out.IpAddressType = tg.ipAddressType as TargetGroup['IpAddressType'];
    if (tg.protocolVersion) out.ProtocolVersion = tg.protocolVersion;
  } else out.HealthCheckPath = hc.path;
  if (hc.protocol !== 'TCP') out.Matcher = { HttpCode: hc.matcher };
  if (out.HealthCheckPath === undefined) delete out.HealthCheckPath;
  return out;
}

export function listenerShape(l: ListenerRecord): Listener {
  const out: Listener = {
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancerArn,
    Port: l.port,
    Protocol: l.protocol as Listener['Protocol'],
    DefaultActions: l.defaultActions,
  };
  if (l.certificates.length > 0) out.Certificates = l.certificates;
  if (l.sslPolicy) out.SslPolicy = l.sslPolicy;
  if (l.alpnPolicy) out.AlpnPolicy = l.alpnPolicy;
  return out;
}

export function ruleShape(r: RuleRecord): Rule {
  return { RuleArn: r.arn, Priority: String(r.priority), Conditions: r.conditions, Actions: r.actions, IsDefault: false };
}

export function defaultRuleShape(l: ListenerRecord): Rule {
  return { RuleArn: l.defaultRuleArn, Priority: 'default', Conditions: [], Actions: l.defaultActions, IsDefault: true };
}
