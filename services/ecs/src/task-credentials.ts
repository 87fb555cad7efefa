// Task role credentials, served as ECS's container credentials endpoint: a task whose definition
// names a `taskRoleArn` gets `AWS_CONTAINER_CREDENTIALS_FULL_URI` (a route on the platform's edge
// listener) and `AWS_CONTAINER_AUTHORIZATION_TOKEN` (random per task; only its SHA-256 is stored
// with the task, so any node can check it). The SDKs read the endpoint, and read it again before the
// credentials expire. The role is assumed by the `ecs-tasks.amazonaws.com` service principal with
// the task's ARN as `aws:SourceArn`; the task execution role is assumed the same way when the task
// starts (the step that pulls images and reads secrets).
//
// Known limitations:
// - The endpoint answers on the edge listener (`<endpoint>/_atoll/ecs/credentials/<account>/<region>/<task id>`),
//   not at 169.254.170.2; the SDKs accept http only for loopback hosts, so the platform must be
//   reached on 127.0.0.1/localhost by the task.
// - Sessions are cached per task and node; a stopped task's endpoint answers 400 at once.
// - Without STS, or in permissive mode when the role cannot be assumed, the endpoint hands out a
//   random key pair only a permissive platform accepts.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newAccessKeyId, newSecretAccessKey, type CallerIdentity, type HttpRoute, type PlatformContext } from '@atoll/core';
import type { EcsStore } from './ecs-store.js';

export const CREDENTIALS_ROUTE = '/_atoll/ecs/credentials/';
const RENEW_MARGIN_MS = 5 * 60_000;
const SESSION_SECONDS = 3600;

/** What ECS's credentials endpoint answers. */
export interface ContainerCredentials {
  RoleArn: string;
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  /** ISO 8601. */
  Expiration: string;
}

/** Assumes a role for a task (a hook for tests; STS AssumeRole by default). */
export type TaskRoleAssumer = (request: { roleArn: string; taskArn: string; accountId: string; region: string }) => Promise<ContainerCredentials>;

interface AssumeRoleOutput {
  Credentials?: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: Date | string };
}

/** ECS's service principal acting for one task. */
export function ecsTasksIdentity(taskArn: string, accountId: string): CallerIdentity {
  return {
    type: 'AWSService',
    accountId,
    arn: '',
    principalId: 'ecs-tasks.amazonaws.com',
    service: { principal: 'ecs-tasks.amazonaws.com', sourceArn: taskArn, sourceAccount: accountId },
  };
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** STS AssumeRole as `ecs-tasks.amazonaws.com`; in permissive mode (or without STS) a stand-in key pair. */
export function stsTaskRoleAssumer(platform: PlatformContext): TaskRoleAssumer {
  return async ({ roleArn, taskArn, accountId, region }) => {
    try {
      const out = await platform.call<AssumeRoleOutput>(
        'sts',
        'AssumeRole',
        { RoleArn: roleArn, RoleSessionName: taskArn.slice(taskArn.lastIndexOf('/') + 1).slice(0, 64), DurationSeconds: SESSION_SECONDS },
        { accountId, region, identity: ecsTasksIdentity(taskArn, accountId) },
      );
      const c = out.Credentials!;
      return { RoleArn: roleArn, AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, Token: c.SessionToken, Expiration: new Date(c.Expiration).toISOString() };
    } catch (error) {
      const code = (error as { code?: string }).code;
      const noSts = code === 'UnknownService' || code === 'NotImplemented';
      if (!noSts && platform.config.authMode !== 'permissive') throw error;
      return {
        RoleArn: roleArn,
        AccessKeyId: newAccessKeyId('ASIA'),
        SecretAccessKey: newSecretAccessKey(),
        Token: randomBytes(32).toString('base64'),
        Expiration: new Date(Date.now() + SESSION_SECONDS * 1000).toISOString(),
      };
    }
  };
}

export class TaskCredentials {
  readonly #store: EcsStore;
  readonly #platform: PlatformContext;
  readonly #assume: TaskRoleAssumer;
  readonly #cache = new Map<string, ContainerCredentials>();
  readonly route: HttpRoute;

  constructor(store: EcsStore, platform: PlatformContext, assume?: TaskRoleAssumer) {
    this.#store = store;
    this.#platform = platform;
    this.#assume = assume ?? stsTaskRoleAssumer(platform);
    this.route = { method: 'GET', path: `${CREDENTIALS_ROUTE}*`, handle: (req, res) => this.#serve(req, res) };
  }

  /** A new authorization token for a task: the token goes to its containers, the hash to its record. */
  newToken(): { token: string; hash: string } {
    const token = randomBytes(24).toString('base64url');
    return { token, hash: hashToken(token) };
  }

  /** The environment variables that point a task's SDKs at its credentials. */
  environment(taskArn: string, accountId: string, region: string, token: string): Record<string, string> {
    const id = taskArn.slice(taskArn.lastIndexOf('/') + 1);
    return {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${this.#platform.endpoint()}${CREDENTIALS_ROUTE}${accountId}/${region}/${id}`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
    };
  }

  /** The role's credentials for a task: cached while more than 5 minutes are left. */
  async credentials(roleArn: string, taskArn: string, accountId: string, region: string): Promise<ContainerCredentials> {
    const key = `${taskArn}\n${roleArn}`;
    const cached = this.#cache.get(key);
    if (cached && Date.parse(cached.Expiration) - Date.now() > RENEW_MARGIN_MS) return cached;
    const fresh = await this.#assume({ roleArn, taskArn, accountId, region });
    this.#cache.set(key, fresh);
    return fresh;
  }

  /** Assumes a role for a task without keeping the session (the execution role at the task's start). */
  assumeOnce(roleArn: string, taskArn: string, accountId: string, region: string): Promise<ContainerCredentials> {
    return this.#assume({ roleArn, taskArn, accountId, region });
  }

  /** Forgets a stopped task's sessions. */
  forget(taskArn: string): void {
    for (const key of this.#cache.keys()) if (key.startsWith(`${taskArn}\n`)) this.#cache.delete(key);
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!.slice(CREDENTIALS_ROUTE.length);
    const [accountId, region, taskId] = path.split('/').map(decodeURIComponent);
    if (!accountId || !region || !taskId) return answer(res, 400, { code: 'InvalidIdInRequest', message: 'CredentialsV2Request: Invalid request' });
    const stored = await this.#store.getTask({ accountId, region }, taskId).catch(() => undefined);
    const expected = stored?.internal.credentialsTokenHash;
    const given = String(req.headers.authorization ?? '');
    if (!stored || !expected || !sameHash(hashToken(given), expected)) {
      return answer(res, 400, { code: 'InvalidIdInRequest', message: 'CredentialsV2Request: Credentials not found' });
    }
    const role = stored.internal.taskRoleArn;
    if (!role || stored.task.lastStatus === 'STOPPED') {
      return answer(res, 400, { code: 'InvalidIdInRequest', message: 'CredentialsV2Request: Credentials not found' });
    }
    try {
      answer(res, 200, await this.credentials(role, stored.task.taskArn, accountId, region));
    } catch (error) {
      const e = error as { code?: string; message?: string };
      this.#platform.logger.warn({ err: error, taskArn: stored.task.taskArn }, 'ecs: task role cannot be assumed');
      answer(res, 500, { code: e.code ?? 'InternalError', message: e.message ?? 'task role credentials unavailable' });
    }
  }
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
