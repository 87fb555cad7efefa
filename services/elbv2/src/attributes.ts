// Attribute sets of load balancers, target groups and listeners: defaults by type, and the checks
// ModifyXxxAttributes applies to a new value. Unknown keys are a ValidationError, as in ELBv2.
import { validationError } from './elbv2-errors.js';

type Check = (value: string) => boolean;
const bool: Check = (v) => v === 'true' || v === 'false';
const intRange = (lo: number, hi: number): Check => (v) => /^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi;
const oneOf = (...values: string[]): Check => (v) => values.includes(v);
const any: Check = () => true;

interface Spec {
  value: string;
  check: Check;
}

const ALB: Record<string, Spec> = {
  'deletion_protection.enabled': { value: 'false', check: bool },
  'idle_timeout.timeout_seconds': { value: '60', check: intRange(1, 4000) },
  'client_keep_alive.seconds': { value: '3600', check: intRange(60, 604800) },
  'routing.http2.enabled': { value: 'true', check: bool },
  'routing.http.drop_invalid_header_fields.enabled': { value: 'false', check: bool },
  'routing.http.preserve_host_header.enabled': { value: 'false', check: bool },
  'routing.http.x_amzn_tls_version_and_cipher_suite.enabled': { value: 'false', check: bool },
  'routing.http.xff_client_port.enabled': { value: 'false', check: bool },
  'routing.http.xff_header_processing.mode': { value: 'append', check: oneOf('append', 'preserve', 'remove') },
  'routing.http.desync_mitigation_mode': { value: 'defensive', check: oneOf('monitor', 'defensive', 'strictest') },
  'waf.fail_open.enabled': { value: 'false', check: bool },
  'access_logs.s3.enabled': { value: 'false', check: bool },
  'access_logs.s3.bucket': { value: '', check: any },
  'access_logs.s3.prefix': { value: '', check: any },
  'connection_logs.s3.enabled': { value: 'false', check: bool },
  'connection_logs.s3.bucket': { value: '', check: any },
  'connection_logs.s3.prefix': { value: '', check: any },
  'zonal_shift.config.enabled': { value: 'false', check: bool },
};

const NLB: Record<string, Spec> = {
  'deletion_protection.enabled': { value: 'false', check: bool },
  'load_balancing.cross_zone.enabled': { value: 'false', check: bool },
  'dns_record.client_routing_policy': { value: 'any_availability_zone', check: oneOf('availability_zone_affinity', 'partial_availability_zone_affinity', 'any_availability_zone') },
  'access_logs.s3.enabled': { value: 'false', check: bool },
  'access_logs.s3.bucket': { value: '', check: any },
  'access_logs.s3.prefix': { value: '', check: any },
  'zonal_shift.config.enabled': { value: 'false', check: bool },
};

const TG_HTTP: Record<string, Spec> = {
  'deregistration_delay.timeout_seconds': { value: '300', check: intRange(0, 3600) },
  'stickiness.enabled': { value: 'false', check: bool },
  'stickiness.type': { value: 'lb_cookie', check: oneOf('lb_cookie', 'app_cookie') },
  'stickiness.lb_cookie.duration_seconds': { value: '86400', check: intRange(1, 604800) },
  'stickiness.app_cookie.cookie_name': { value: '', check: any },
  'stickiness.app_cookie.duration_seconds': { value: '86400', check: intRange(1, 604800) },
  'load_balancing.algorithm.type': { value: 'round_robin', check: oneOf('round_robin', 'least_outstanding_requests', 'weighted_random') },
  'load_balancing.algorithm.anomaly_mitigation': { value: 'off', check: oneOf('on', 'off') },
  'load_balancing.cross_zone.enabled': { value: 'use_load_balancer_configuration', check: oneOf('true', 'false', 'use_load_balancer_configuration') },
  'slow_start.duration_seconds': { value: '0', check: (v) => v === '0' || intRange(30, 900)(v) },
  'target_group_health.dns_failover.minimum_healthy_targets.count': { value: '1', check: any },
  'target_group_health.dns_failover.minimum_healthy_targets.percentage': { value: 'off', check: any },
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': { value: '1', check: any },
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': { value: 'off', check: any },
};

const TG_TCP: Record<string, Spec> = {
  'deregistration_delay.timeout_seconds': { value: '300', check: intRange(0, 3600) },
  'deregistration_delay.connection_termination.enabled': { value: 'false', check: bool },
  'stickiness.enabled': { value: 'false', check: bool },
  'stickiness.type': { value: 'source_ip', check: oneOf('source_ip') },
  'proxy_protocol_v2.enabled': { value: 'false', check: bool },
  'preserve_client_ip.enabled': { value: 'false', check: bool },
  'connection_termination.on_unhealthy.enabled': { value: 'false', check: bool },
  'load_balancing.cross_zone.enabled': { value: 'use_load_balancer_configuration', check: oneOf('true', 'false', 'use_load_balancer_configuration') },
};

const TG_LAMBDA: Record<string, Spec> = {
  'lambda.multi_value_headers.enabled': { value: 'false', check: bool },
};

const LISTENER_HTTP: Record<string, Spec> = {
  'routing.http.response.server.enabled': { value: 'true', check: bool },
};
const LISTENER_TCP: Record<string, Spec> = {
  'tcp.idle_timeout.seconds': { value: '350', check: intRange(60, 6000) },
};

function specsOf(kind: string): Record<string, Spec> {
  switch (kind) {
    case 'application': return ALB;
    case 'network': return NLB;
    case 'tg-lambda': return TG_LAMBDA;
    case 'tg-tcp': return TG_TCP;
    case 'tg-http': return TG_HTTP;
    case 'listener-tcp': return LISTENER_TCP;
    default: return LISTENER_HTTP;
  }
}

/** The attribute kind of a target group: by target type and protocol. */
export function targetGroupKind(targetType: string, protocol: string | undefined): string {
  if (targetType === 'lambda') return 'tg-lambda';
  return protocol === 'HTTP' || protocol === 'HTTPS' ? 'tg-http' : 'tg-tcp';
}

export function defaultAttributes(kind: string): Record<string, string> {
  return Object.fromEntries(Object.entries(specsOf(kind)).map(([k, s]) => [k, s.value]));
}

/** Applies `changes` on top of `current`, checking keys and values; returns the new set. */
export function applyAttributes(kind: string, current: Record<string, string>, changes: readonly { Key?: string; Value?: string }[]): Record<string, string> {
  const specs = specsOf(kind);
  const next = { ...defaultAttributes(kind), ...current };
  for (const { Key, Value } of changes) {
    if (Key === undefined) throw validationError('An attribute key must be specified');
    const spec = specs[Key];
    if (spec === undefined) throw validationError(`Attribute key '${Key}' is not recognized`);
    const value = Value ?? '';
    if (!spec.check(value)) throw validationError(`Attribute '${Key}' has an invalid value '${value}'`);
    next[Key] = value;
  }
  return next;
}

export const attributeList = (attrs: Record<string, string>): { Key: string; Value: string }[] =>
  Object.entries(attrs).map(([Key, Value]) => ({ Key, Value }));
