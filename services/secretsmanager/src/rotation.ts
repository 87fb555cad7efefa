// Rotation through a Lambda rotation function: RotateSecret labels a new version id AWSPENDING (a
// placeholder without a value) and then invokes the function's four steps in order, createSecret,
// setSecret, testSecret and finishSecret, as `secretsmanager.amazonaws.com` (the function's
// resource policy must allow that principal, as in AWS). The steps run after RotateSecret answers;
// a failed step stops the rotation and leaves AWSPENDING where it is (the next RotateSecret, or the
// schedule, reattempts that version; a RotateSecret with another token answers InvalidRequestException
// and reattempts it too). When finishSecret has moved AWSCURRENT to the new version,
// AWSPENDING is removed from it and LastRotatedDate/NextRotationDate are set. The schedule is run by
// a leader loop (every ATOLL_SECRETSMANAGER_SWEEP_MS).
import { randomUUID } from 'node:crypto';
import type { CallerIdentity, PlatformContext, RequestContext } from '@atoll/core';
import type * as sm from '@atoll/aws-models/secretsmanager';
import { checkRotationRules, nextRotation } from './rotation-schedule.js';
import { invalidRequest } from './secrets-errors.js';
import type { SecretRecord, SecretsStore } from './secrets-store.js';

/** What rotation needs of the provider. */
export interface RotationHost {
  readonly platform: PlatformContext;
  readonly store: SecretsStore;
  secret(secretId: string, ctx: RequestContext): Promise<SecretRecord>;
  addVersion(secret: SecretRecord, versionId: string, value: null, stages: readonly string[]): Promise<void>;
}

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

export function secretsManagerIdentity(secret: SecretRecord): CallerIdentity {
  return {
    type: 'AWSService',
    accountId: secret.accountId,
    arn: '',
    principalId: 'secretsmanager.amazonaws.com',
    service: { principal: 'secretsmanager.amazonaws.com', sourceArn: secret.arn, sourceAccount: secret.accountId },
  };
}

export class Rotation {
  readonly #host: RotationHost;
  /** Rotations running on this node, by secret ARN. */
  readonly #running = new Map<string, Promise<void>>();

  constructor(host: RotationHost) {
    this.#host = host;
  }

  /** Waits for the rotations in progress (on close). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#running.values()]);
  }

  /** The version labelled AWSPENDING that is not AWSCURRENT: a rotation started and not finished. */
  async #pending(secret: SecretRecord): Promise<string | undefined> {
    const pending = await this.#host.store.getVersion(secret.arn, { stage: 'AWSPENDING' });
    return pending && !pending.stages.includes('AWSCURRENT') ? pending.versionId : undefined;
  }

  RotateSecret = async (input: sm.RotateSecretRequest, ctx: RequestContext): Promise<sm.RotateSecretResult> => {
    const secret = await this.#host.secret(input.SecretId, ctx);
    if (input.ExternalSecretRotationMetadata?.length || input.ExternalSecretRotationRoleArn) {
      throw invalidRequest('External secret rotation is not available in Atoll.');
    }
    const lambdaArn = input.RotationLambdaARN ?? secret.rotationLambdaArn;
    if (!lambdaArn) {
      throw invalidRequest(
        secret.owningService !== null
          ? `This secret is managed by ${secret.owningService}: its managed rotation is not available in Atoll.`
          : 'No Lambda rotation function ARN is associated with this secret.',
      );
    }
    const rules = input.RotationRules ?? secret.rotationRules;
    if (input.RotationRules) checkRotationRules(input.RotationRules);
    if (this.#running.has(secret.arn)) throw invalidRequest('A previous rotation isn\'t complete. That rotation will be reattempted.');
    const now = Date.now();
    const immediately = input.RotateImmediately ?? true;
    const updated = (await this.#host.store.updateSecret(secret, {
      rotationEnabled: true,
      rotationLambdaArn: lambdaArn,
      rotationRules: rules,
      nextRotationAt: nextRotation(rules, secret.lastRotatedAt ?? now),
    }))!;
    if (!immediately) return { ARN: secret.arn, Name: secret.name };
    const pending = await this.#pending(secret);
    if (pending !== undefined && input.ClientRequestToken !== undefined && input.ClientRequestToken !== pending) {
      // As AWS: a new token while a version is pending reattempts that version, and says so.
      await this.#begin(updated, pending);
      throw invalidRequest('A previous rotation isn\'t complete. That rotation will be reattempted.');
    }
    const token = pending ?? input.ClientRequestToken ?? randomUUID();
    await this.#begin(updated, token);
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  };

  CancelRotateSecret = async (input: sm.CancelRotateSecretRequest, ctx: RequestContext): Promise<sm.CancelRotateSecretResult> => {
    const secret = await this.#host.secret(input.SecretId, ctx);
    if (!secret.rotationEnabled) throw invalidRequest('Secrets Manager can\'t cancel rotation because rotation isn\'t enabled for this secret.');
    const pending = await this.#pending(secret);
    await this.#host.store.updateSecret(secret, { rotationEnabled: false, nextRotationAt: null });
    return { ARN: secret.arn, Name: secret.name, ...(pending ? { VersionId: pending } : {}) };
  };

  /** Rotates the secrets whose schedule has come (the leader loop). */
  async rotateDue(now = Date.now()): Promise<number> {
    let started = 0;
    for (const secret of await this.#host.store.dueForRotation(now)) {
      if (this.#running.has(secret.arn) || !secret.rotationLambdaArn) continue;
      // Moved forward first, so that a failing function is retried on the next date, not every sweep.
      const next = nextRotation(secret.rotationRules, now);
      const updated = await this.#host.store.updateSecret(secret, { nextRotationAt: next });
      if (!updated) continue;
      await this.#begin(updated, (await this.#pending(updated)) ?? randomUUID());
      started++;
    }
    return started;
  }

  /** Labels `token` AWSPENDING and runs the steps in the background. */
  async #begin(secret: SecretRecord, token: string): Promise<void> {
    await this.#host.addVersion(secret, token, null, ['AWSPENDING']).catch((error: unknown) => {
      // The token may already hold a value (a reattempt after createSecret): keep it.
      if ((error as { code?: string }).code !== 'ResourceExistsException') throw error;
    });
    const run = this.#run(secret, token)
      .catch((error: unknown) => this.#host.platform.logger.warn({ err: error, secret: secret.arn, token }, 'secret rotation failed'))
      .finally(() => this.#running.delete(secret.arn));
    this.#running.set(secret.arn, run);
  }

  async #run(secret: SecretRecord, token: string): Promise<void> {
    const lambdaArn = secret.rotationLambdaArn!;
    const account = /^arn:aws[a-z-]*:lambda:([^:]+):(\d{12}):/.exec(lambdaArn);
    const ctx = { accountId: account?.[2] ?? secret.accountId, region: account?.[1] ?? secret.region, identity: secretsManagerIdentity(secret) };
    for (const step of ROTATION_STEPS) {
      const payload = Buffer.from(JSON.stringify({ Step: step, SecretId: secret.arn, ClientRequestToken: token }));
      const out = await this.#host.platform.call<{ FunctionError?: string; Payload?: Uint8Array }>(
        'lambda',
        'Invoke',
        { FunctionName: lambdaArn, InvocationType: 'RequestResponse', Payload: payload },
        ctx,
      );
      if (out.FunctionError) {
        throw new Error(`the rotation function failed at ${step}: ${Buffer.from(out.Payload ?? []).toString().slice(0, 500)}`);
      }
    }
    const current = await this.#host.store.getVersion(secret.arn, { stage: 'AWSCURRENT' });
    if (current?.versionId !== token) throw new Error(`finishSecret did not move AWSCURRENT to version ${token}`);
    await this.#host.store.updateStage(secret.arn, 'AWSPENDING', { from: token });
    const now = Date.now();
    const latest = (await this.#host.store.getSecretByArn(secret.arn)) ?? secret;
    await this.#host.store.updateSecret(latest, {
      lastRotatedAt: now,
      nextRotationAt: latest.rotationEnabled ? nextRotation(latest.rotationRules, now) : null,
    });
  }
}
