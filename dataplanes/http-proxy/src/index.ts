// The ALB data plane and the pieces the NLB data plane shares with it (target groups, health probes).
export { HttpProxy } from './http-proxy.js';
export type { HttpProxyOptions } from './http-proxy.js';
export type { ServedRequest } from './client-connection.js';
export { TargetGroupRuntime, TargetRuntime } from './target-group.js';
export type { Probe, ProbeResult, TargetGroupHooks } from './target-group.js';
export { probeTarget, parseMatcher, isValidMatcher } from './health-probe.js';
export { wildcardRegExp, parseCidr } from './match.js';
export type { Cidr } from './match.js';
export { errorPage } from './error-pages.js';
export type {
  ActionConfig,
  ConditionConfig,
  HealthCheckConfig,
  HealthReason,
  HealthState,
  HttpListenerConfig,
  LambdaAlbEvent,
  LambdaAlbResult,
  RuleConfig,
  TargetConfig,
  TargetGroupConfig,
  TargetHealthReport,
} from './config.js';
