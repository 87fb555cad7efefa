// The typed configuration a provider pushes into the proxy data planes (HTTP and TCP): listeners,
// rules, target groups with their targets and health settings. The data planes never read a
// provider's tables; this is the whole interface, plus the target health they report back.

export type HealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export type HealthReason =
  | 'Elb.RegistrationInProgress'
  | 'Elb.InitialHealthChecking'
  | 'Target.ResponseCodeMismatch'
  | 'Target.Timeout'
  | 'Target.FailedHealthChecks'
  | 'Target.NotRegistered'
  | 'Target.NotInUse'
  | 'Target.DeregistrationInProgress'
  | 'Target.HealthCheckDisabled'
  | 'Elb.InternalError';

export interface TargetHealthReport {
  /** Target id (an IP address, an instance id or a function ARN) and its port. */
  id: string;
  port: number;
  state: HealthState;
  reason?: HealthReason;
  description?: string;
}

export interface HealthCheckConfig {
  enabled: boolean;
  /** `HTTP`/`HTTPS` probe a path; `TCP` only opens a connection. */
  protocol: 'HTTP' | 'HTTPS' | 'TCP';
  /** `traffic-port` probes the target's own port. */
  port: 'traffic-port' | number;
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** ALB matcher: `200`, `200,202`, `200-299`. */
  matcher: string;
}

export interface TargetConfig {
  /** As registered: an IP address (or `localhost`/instance id mapped to 127.0.0.1 by the provider). */
  id: string;
  /** The address the data plane connects to. */
  host: string;
  port: number;
}

export interface TargetGroupConfig {
  /** The target group's ARN. */
  id: string;
  protocol: 'HTTP' | 'HTTPS' | 'TCP' | 'TLS' | 'UDP' | 'TCP_UDP' | 'GENEVE';
  algorithm: 'round_robin' | 'least_outstanding_requests';
  deregistrationDelaySeconds: number;
  stickiness: { enabled: boolean; durationSeconds: number };
  healthCheck: HealthCheckConfig;
  targets: TargetConfig[];
  /** NLB only: send a PROXY protocol v2 header to targets. */
  proxyProtocolV2?: boolean;
  /**
   * Lambda target groups: the data plane hands the request to this function instead of
   * connecting to a target. It returns an ALB Lambda response object.
   */
  invoke?: (event: LambdaAlbEvent) => Promise<LambdaAlbResult>;
}

export interface LambdaAlbEvent {
  requestContext: { elb: { targetGroupArn: string } };
  httpMethod: string;
  path: string;
  queryStringParameters: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export interface LambdaAlbResult {
  statusCode?: number;
  statusDescription?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** A rule condition, as in the ELBv2 model, with the values already validated by the provider. */
export type ConditionConfig =
  | { field: 'host-header'; values: string[] }
  | { field: 'path-pattern'; values: string[] }
  | { field: 'http-request-method'; values: string[] }
  | { field: 'source-ip'; values: string[] }
  | { field: 'http-header'; name: string; values: string[] }
  | { field: 'query-string'; values: { key?: string; value: string }[] };

export type ActionConfig =
  | {
      type: 'forward';
      targetGroups: { id: string; weight: number }[];
      /** Group stickiness (AWSALBTG cookie); 0 disables it. */
      stickinessSeconds: number;
    }
  | {
      type: 'redirect';
      protocol: string;
      port: string;
      host: string;
      path: string;
      query: string;
      statusCode: 301 | 302;
    }
  | { type: 'fixed-response'; statusCode: number; contentType?: string; body?: string };

export interface RuleConfig {
  /** Lower is evaluated first; the default rule has priority Infinity. */
  priority: number;
  conditions: ConditionConfig[];
  /** The final action (forward, redirect or fixed-response). */
  action: ActionConfig;
}

export interface HttpListenerConfig {
  /** The listener's ARN. */
  id: string;
  host: string;
  /** 0 picks a free port (tests); the bound port is returned by `setListener`. */
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  certFile?: string;
  keyFile?: string;
  /** The load balancer's `idle_timeout.timeout_seconds`: a target that sends nothing for this long gets 504. */
  idleTimeoutSeconds: number;
  /** Rules, any order; the default rule has priority Infinity and no conditions. */
  rules: RuleConfig[];
}
