// The contract between the edge (apps/server) and a service provider (services/<name>).
// A provider exposes typed operations; the edge does routing, auth, parsing, serialization,
// audit and metrics around them. Providers never see HTTP for modeled operations.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AuditTrail } from './audit.js';
import type { AtollConfig } from './config.js';
import type { EventBus } from './event-bus.js';
import type { IdentityDirectory, SessionDirectory } from './identity.js';
import type { StorageBackend } from './storage.js';

/** Who made a request, as CloudTrail's `userIdentity` and STS's GetCallerIdentity describe it. */
export interface CallerIdentity {
  type: 'Root' | 'IAMUser' | 'AssumedRole' | 'FederatedUser' | 'AWSService' | 'Anonymous';
  accountId: string;
  /**
   * e.g. `arn:aws:iam::000000000000:root`, `arn:aws:iam::000000000000:user/alice`, or for a role
   * session `arn:aws:sts::000000000000:assumed-role/app-role/session-name`.
   */
  arn: string;
  /** The unique id of the principal (`AIDA…` for users; `AROA…:session` for role sessions; the account id for root). */
  principalId: string;
  userName?: string;
  accessKeyId?: string;
  /** Temporary credentials (`ASIA…` keys): what the session carries. */
  session?: SessionFacts;
  /** AWSService: a service principal acting for one of its resources (SNS delivering to a queue). */
  service?: ServicePrincipalFacts;
}

/** What a temporary-credentials session (STS AssumeRole, AssumeRoleWithWebIdentity, GetSessionToken) carries. */
export interface SessionFacts {
  /** `AssumeRole` and `AssumeRoleWithWebIdentity` sessions: the role (`arn:aws:iam::…:role/path/name`), its id and name. */
  roleArn?: string;
  roleId?: string;
  roleName?: string;
  /** The session name (AssumeRole's RoleSessionName). */
  sessionName?: string;
  /** Epoch milliseconds when the credentials expire. */
  expires: number;
  /** Epoch milliseconds when the session was issued. */
  issued: number;
  /** Inline session policy (JSON text) and managed session policy ARNs: they narrow the role's permissions. */
  policy?: string;
  policyArns?: string[];
  /** Session tags (`aws:PrincipalTag/…` along with the role's own tags). */
  tags?: Record<string, string>;
  sourceIdentity?: string;
  /** Web identity sessions: the provider (`arn:aws:iam::…:oidc-provider/issuer`) and the token's `sub`. */
  webIdentity?: { provider: string; subject: string; audience?: string };
  /** GetSessionToken sessions act as the IAM user that asked for them (identity type `IAMUser`). */
  mfa?: boolean;
}

/** A service principal acting for a resource (`sns.amazonaws.com` for a topic's delivery). */
export interface ServicePrincipalFacts {
  /** `sns.amazonaws.com`. */
  principal: string;
  /** The resource the service acts for (`aws:SourceArn`): the topic, the bucket, the rule. */
  sourceArn?: string;
  /** `aws:SourceAccount`. */
  sourceAccount?: string;
}

export interface RequestContext {
  requestId: string;
  traceId: string;
  /** Model name of the service, e.g. `sqs`. */
  service: string;
  operation: string;
  accountId: string;
  region: string;
  identity: CallerIdentity;
  sourceIp: string;
  userAgent: string;
  /** Base URL the caller used (`http://host:port`), for URLs that point back at Atoll (queue URLs …). */
  endpoint: string;
  /** The HTTP request headers (lower-case names). Empty for in-process calls. */
  headers: IncomingHttpHeaders;
  /** Aborted when the client goes away or the platform shuts down. */
  signal: AbortSignal;
  /**
   * Trailing headers of an `aws-chunked` request body (e.g. `x-amz-checksum-crc32`), available once
   * the streaming body member has been read to its end. The edge has already removed the chunk
   * framing and verified the chunk signatures.
   */
  trailers?: () => Record<string, string>;
}

/** A typed operation. Input and output follow the shapes generated from the service model. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OperationHandler<I = any, O = unknown> = (input: I, ctx: RequestContext) => O | Promise<O>;

/** An HTTP route outside the AWS model (S3 CORS preflight, SNS signing certificate, OCI API …). */
export interface HttpRoute {
  method: string | '*';
  /** Matched against the URL path. A string matches exactly or, ending in `/*`, as a prefix. */
  path: string | RegExp;
  /** Matched against the Host header (with its port, if any); such routes are tried first. */
  host?: RegExp;
  /**
   * A further test on the request (its headers): a route that declines leaves the request to the next
   * route and finally to the AWS API edge. The OCI registry declines SigV4-signed requests, which are
   * AWS API calls sharing its `/v2/` prefix (API Gateway v2's `/v2/apis`).
   */
  accepts?(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse, ctx: RawRouteContext): void | Promise<void>;
  /** Takes a matching HTTP upgrade (WebSocket) request; routes without it refuse upgrades. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface RawRouteContext {
  requestId: string;
  endpoint: string;
  accountId: string;
  region: string;
}

export interface ServiceProvider {
  /** Model name, e.g. `sqs`: the key under which `@atoll/aws-models` knows the service. */
  readonly service: string;
  /** Implemented operations by name. An operation of the model missing here answers 501 NotImplemented. */
  readonly operations: Partial<Record<string, OperationHandler>>;
  /** Non-model HTTP routes this service serves on the edge listener. */
  readonly routes?: readonly HttpRoute[];
  /** Called once after every service was created, before the listener opens. */
  start?(): void | Promise<void>;
  /** Stops background work and closes the service's databases. */
  close?(): void | Promise<void>;
  /** Set by the identity service (IAM): the edge resolves access keys and policies through it. */
  readonly identityDirectory?: IdentityDirectory;
  /** Set by STS: the edge opens temporary credentials' session tokens through it. */
  readonly sessionDirectory?: SessionDirectory;
  /**
   * What an operation asks of IAM, for the edge's authorize step: the action, when it is not
   * `<signing name>:<Operation>` (S3's ListObjectsV2 is `s3:ListBucket`, SQS's SendMessageBatch is
   * `sqs:SendMessage`), and the ARNs it acts on. Without resources (or without this hook), identity
   * policies are evaluated against `*`. `scope.identity` is the caller (IAM names the caller's own
   * user when GetUser has no UserName). A Promise is awaited: answer synchronously from a cache when
   * possible (IAM looks up an entity's path, which its ARN contains).
   */
  authorization?(
    operation: string,
    input: Record<string, unknown>,
    scope: { accountId: string; region: string; identity?: CallerIdentity },
  ): IamRequest | undefined | Promise<IamRequest | undefined>;
  /**
   * The resource-based policy (JSON text) of a resource this service owns (a queue's `Policy`
   * attribute, a topic's, a function's), for the edge's authorize step; undefined when it has none.
   * Called for the ARNs `authorization` names. Answer from a cache: it runs on every authorized call.
   */
  resourcePolicy?(resourceArn: string): string | undefined | Promise<string | undefined>;
  /**
   * Headers to add to the response of a modeled operation, success or error (S3's CORS headers for
   * requests that carry an `Origin`).
   */
  responseHeaders?(operation: string, input: Record<string, unknown>, request: { method: string; headers: IncomingHttpHeaders }): Record<string, string> | undefined;
}

/** The IAM action and resource ARNs of one request (see `ServiceProvider.authorization`). */
export interface IamRequest {
  action?: string;
  resources?: readonly string[];
  /**
   * Other actions the call needs on other resources (a copy reads its source: `s3:GetObject`).
   * With `resources` empty, these are the only checks (a batch of PartiQL statements).
   */
  also?: readonly { action: string; resource: string }[];
  /** The code the service answers a refused call with, when it is not AccessDenied (SNS: AuthorizationError). */
  deniedCode?: string;
  /** Service condition keys of the request (`lambda:FunctionUrlAuthType`), over the global ones. */
  context?: Record<string, string | string[]>;
}

/** A SigV4-signed HTTP request that reached a service's own route (PlatformContext.authorizeSignedRequest). */
export interface SignedHttpRequest {
  method: string;
  /** The request target as received: raw path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The whole body (its hash is part of the signature). */
  body: Buffer;
  sourceIp?: string;
}

/** Context for in-process calls between services. */
export interface CallContext {
  accountId: string;
  region: string;
  identity?: CallerIdentity;
  requestId?: string;
  traceId?: string;
  /**
   * A trace header (`Root=…;Parent=…;Sampled=…`) the caller hands on, as a traced request would
   * carry it: the callee sees it as its `X-Amzn-Trace-Id` and, when sampled, the call gets its own
   * segment (edge.ApiCallTraced) as an edge request would.
   */
  traceHeader?: string;
}

/** The minimal logger interface Atoll uses (pino satisfies it). */
export interface Logger {
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /** Whether a level is logged (pino has it), so that a caller can skip building a disabled line. */
  isLevelEnabled?(level: string): boolean;
}

/** What a service factory receives from the composition root. */
export interface PlatformContext {
  readonly config: AtollConfig;
  readonly logger: Logger;
  readonly bus: EventBus;
  /** The edge's base URL (`http://127.0.0.1:4566`), known once the listener is bound. */
  endpoint(): string;
  /**
   * Calls another service's public typed operation in-process: no HTTP and no signature, but the
   * same validation and audit as a request. Throws the operation's ServiceError.
   */
  call<O = unknown>(service: string, operation: string, input: unknown, ctx: CallContext): Promise<O>;
  /**
   * Authenticates a SigV4-signed request to one of the calling service's own routes (header or
   * presigned query; `service` is the signing name) and authorizes `check` as the edge's authorize
   * step would (identity policies with boundary and session policies, and the service's resource
   * policy for `resources`). Answers the caller; throws the AuthError that refused it. The
   * permissive mode skips the checks. Lambda's AWS_IAM function URLs use it.
   */
  authorizeSignedRequest?(request: SignedHttpRequest, service: string, check: IamRequest & { action: string }): Promise<CallerIdentity>;
  /** The audit trail the edge writes: every call, newest first (CloudTrail's LookupEvents reads it). */
  readonly auditTrail: AuditTrail;
  /**
   * Where the service keeps its state: `storage.open(name, migrations)` gives its store database
   * (SQLite or PostgreSQL), `storage.leadership` runs its once-only loops, `storage.blobDir` holds its blobs.
   */
  readonly storage: StorageBackend;
}

export type ServiceFactory = (platform: PlatformContext) => ServiceProvider | Promise<ServiceProvider>;
