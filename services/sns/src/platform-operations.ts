// Mobile push: platform applications (GCM/FCM, APNS, APNS_SANDBOX, ADM, BAIDU, MPNS, WNS) and their
// endpoints, and push "delivery" to an endpoint (Publish with TargetArn, or a topic's `application`
// subscription): the payload SNS would hand to the push service is recorded in the delivery sink
// (mobile-store.ts), read through `GET /_atoll/sns/deliveries`. No push service is reached: its
// "token unregistered" feedback is simulated by `POST /_atoll/sns/invalidate-token`, after which the
// next delivery fails and disables the endpoint, as AWS does. The application's EventEndpointCreated,
// EventEndpointDeleted, EventEndpointUpdated and EventDeliveryFailure topics receive AWS's event JSON.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import {
  EndpointDisabledException,
  InvalidParameterException,
  NotFoundException,
  PlatformApplicationDisabledException,
} from '@atoll/aws-models/sns';
import type { MobileStore, PlatformApplicationRecord, PlatformEndpointRecord, SinkRecord } from './mobile-store.js';
import type { SnsAttributeValue } from './filter-policy.js';

const PLATFORMS = ['GCM', 'APNS', 'APNS_SANDBOX', 'ADM', 'BAIDU', 'MPNS', 'WNS'] as const;
/** Attributes a platform application accepts besides its credentials. */
const APPLICATION_ATTRIBUTES = new Set([
  'PlatformCredential', 'PlatformPrincipal', 'EventEndpointCreated', 'EventEndpointDeleted', 'EventEndpointUpdated', 'EventDeliveryFailure',
  'SuccessFeedbackRoleArn', 'FailureFeedbackRoleArn', 'SuccessFeedbackSampleRate', 'ApplePlatformTeamID', 'ApplePlatformBundleID', 'Enabled',
  'AuthenticationMethod',
]);
/** Never returned by GetPlatformApplicationAttributes (AWS keeps them write-only). */
const SECRET_ATTRIBUTES = new Set(['PlatformCredential', 'PlatformPrincipal']);
const ENDPOINT_ATTRIBUTES = new Set(['CustomUserData', 'Enabled', 'Token']);
const PAGE = 100;

const invalid = (what: string) => new InvalidParameterException(`Invalid parameter: ${what}`);

/** True for an endpoint ARN (`…:endpoint/<platform>/<app>/<id>`). */
export function isEndpointArn(arn: string): boolean {
  return /^arn:aws:sns:[^:]+:\d{12}:endpoint\/[A-Z_]+\/[^/]+\/[^/]+$/.test(arn);
}

/**
 * Checks a platform application's attributes as AWS does: the credentials each platform needs
 * (certificate or token authentication for APNS), known names, event topics as topic ARNs,
 * `SuccessFeedbackSampleRate` 0–100. `merged` is the whole set after the change.
 */
export function checkApplicationAttributes(platform: string, given: Record<string, string>, merged: Record<string, string>): void {
  for (const [name, value] of Object.entries(given)) {
    if (!APPLICATION_ATTRIBUTES.has(name)) throw invalid(`Attributes Reason: Invalid attribute name: ${name}`);
    if (name.startsWith('Event') && value !== '' && !/^arn:aws:sns:[^:]+:\d{12}:[A-Za-z0-9_-]+$/.test(value)) {
      throw invalid(`Attributes Reason: ${name} must be a topic ARN`);
    }
    if (name === 'SuccessFeedbackSampleRate' && !(/^\d+$/.test(value) && Number(value) <= 100)) {
      throw invalid('Attributes Reason: SuccessFeedbackSampleRate must be an integer from 0 to 100');
    }
    if (name === 'Enabled' && value !== 'true' && value !== 'false') throw invalid('Attributes Reason: Enabled must be true or false');
  }
  const need = (name: string) => {
    if (!merged[name]) throw invalid(`Attributes Reason: ${name} attribute must be specified for platform ${platform}`);
  };
  if (platform === 'GCM') {
    need('PlatformCredential');
  } else if (platform === 'APNS' || platform === 'APNS_SANDBOX') {
    need('PlatformCredential');
    need('PlatformPrincipal');
    const token = merged.ApplePlatformTeamID !== undefined || merged.ApplePlatformBundleID !== undefined;
    if (token) {
      // Token-based authentication: the signing key, its key id, the team and the bundle.
      need('ApplePlatformTeamID');
      need('ApplePlatformBundleID');
      if (!/^[A-Z0-9]{10}$/.test(merged.ApplePlatformTeamID!)) throw invalid('Attributes Reason: ApplePlatformTeamID must be a 10-character team id');
    } else if (!merged.PlatformPrincipal!.includes('BEGIN CERTIFICATE')) {
      throw invalid('Attributes Reason: PlatformPrincipal must be a PEM certificate (or give ApplePlatformTeamID and ApplePlatformBundleID for token authentication)');
    }
  } else {
    // ADM (client id, secret), BAIDU (API key, secret key), MPNS (certificate, key), WNS (package SID, secret).
    need('PlatformPrincipal');
    need('PlatformCredential');
  }
}

/**
 * The payload for a push to `platform`: with MessageStructure json, the platform's own key (a JSON
 * string for GCM, APNS, ADM and BAIDU, as AWS requires) or else `default`; otherwise the message.
 */
export function pushPayload(platform: string, message: string, structure: string | undefined): { message: string; key: string } {
  if (structure !== 'json') return { message, key: 'default' };
  const doc = JSON.parse(message) as Record<string, unknown>;
  const own = doc[platform];
  if (typeof own === 'string') return { message: own, key: platform };
  return { message: String(doc.default ?? ''), key: 'default' };
}

/** Checks the platform's entry of a JSON-structured message before a direct publish (AWS refuses bad JSON there). */
function checkPlatformEntry(platform: string, message: string, structure: string | undefined): void {
  if (structure !== 'json') return;
  const doc = JSON.parse(message) as Record<string, unknown>;
  const own = doc[platform];
  if (own === undefined) return;
  if (typeof own !== 'string') throw invalid(`Message Reason: Invalid notification for protocol ${platform}: the value must be a string`);
  if (['GCM', 'APNS', 'APNS_SANDBOX', 'ADM', 'BAIDU'].includes(platform)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(own);
    } catch {
      throw invalid(`Message Reason: Invalid notification for protocol ${platform}: the value must be JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw invalid(`Message Reason: Invalid notification for protocol ${platform}: the value must be a JSON object`);
    }
  }
}

export interface PushMessage {
  messageId: string;
  message: string;
  messageStructure?: string;
  attributes?: Record<string, SnsAttributeValue>;
  topicArn?: string;
}

/** Publishes an event message to a topic (best effort: a missing topic drops it). */
export type EventPublisher = (topicArn: string, message: string) => Promise<void>;

type EventName = 'EventEndpointCreated' | 'EventEndpointDeleted' | 'EventEndpointUpdated' | 'EventDeliveryFailure';

export class PlatformOperations {
  constructor(
    readonly store: MobileStore,
    readonly events: EventPublisher = async () => {},
  ) {}

  /** Sends an application event to the topic its attribute names, if any. */
  async #event(app: PlatformApplicationRecord, name: EventName, detail: Record<string, unknown>): Promise<void> {
    const topic = app.attributes[name];
    if (!topic) return;
    await this.events(topic, JSON.stringify({ ...detail, EventType: name.slice('Event'.length), Resource: app.arn, Service: 'SNS', Time: new Date().toISOString() }));
  }

  /**
   * A delivery that failed: the endpoint is disabled when its token is invalid (AWS's behaviour on
   * the push service's feedback), and the failure goes to the application's EventDeliveryFailure topic.
   */
  async #failed(app: PlatformApplicationRecord, e: PlatformEndpointRecord, messageId: string, failureType: string, failureMessage: string, fromTopic?: string): Promise<void> {
    if (failureType === 'InvalidPlatformToken' && e.attributes.Enabled !== 'false') {
      await this.store.updateEndpoint(e.arn, (stored) => {
        stored.attributes.Enabled = 'false';
      });
      await this.#event(app, 'EventEndpointUpdated', { EndpointArn: e.arn });
    }
    // A failure to deliver the failure topic's own messages is not announced there again (no loop).
    if (fromTopic !== undefined && fromTopic === app.attributes.EventDeliveryFailure) return;
    await this.#event(app, 'EventDeliveryFailure', { DeliveryAttempts: 1, EndpointArn: e.arn, FailureMessage: failureMessage, FailureType: failureType, MessageId: messageId });
  }

  /** The push service's feedback that an endpoint's token is no longer valid (admin route); false when there is no such endpoint. */
  async invalidateToken(accountId: string, endpointArn: string): Promise<boolean> {
    const e = await this.store.getEndpoint(endpointArn);
    if (!e || e.accountId !== accountId) return false;
    return (
      (await this.store.updateEndpoint(e.arn, (stored) => {
        stored.tokenInvalid = true;
      })) !== undefined
    );
  }

  async #application(arn: unknown, ctx: RequestContext): Promise<PlatformApplicationRecord> {
    const app = typeof arn === 'string' ? await this.store.getApplication(arn) : undefined;
    if (!app || app.accountId !== ctx.accountId) throw new NotFoundException('PlatformApplication does not exist');
    return app;
  }

  async #endpoint(arn: unknown, ctx: RequestContext): Promise<PlatformEndpointRecord> {
    const e = typeof arn === 'string' ? await this.store.getEndpoint(arn) : undefined;
    if (!e || e.accountId !== ctx.accountId) throw new NotFoundException('Endpoint does not exist');
    return e;
  }

  CreatePlatformApplication = async (input: { Name: string; Platform: string; Attributes: Record<string, string> }, ctx: RequestContext) => {
    const name = String(input.Name ?? '');
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name)) throw invalid('Name Reason: must be 1 to 256 letters, digits, hyphens, underscores and periods');
    const platform = String(input.Platform ?? '');
    if (!(PLATFORMS as readonly string[]).includes(platform)) throw invalid(`Platform Reason: ${platform} is not supported`);
    const attributes = Object.fromEntries(Object.entries(input.Attributes ?? {}).map(([k, v]) => [k, String(v)]));
    checkApplicationAttributes(platform, attributes, attributes);
    const arn = `arn:aws:sns:${ctx.region}:${ctx.accountId}:app/${platform}/${name}`;
    await this.store.putApplication({ arn, accountId: ctx.accountId, region: ctx.region, name, platform, attributes: { Enabled: 'true', ...attributes }, createdAt: Date.now() });
    return { PlatformApplicationArn: arn };
  };

  GetPlatformApplicationAttributes = async (input: { PlatformApplicationArn: string }, ctx: RequestContext) => {
    const app = await this.#application(input.PlatformApplicationArn, ctx);
    return { Attributes: Object.fromEntries(Object.entries(app.attributes).filter(([k]) => !SECRET_ATTRIBUTES.has(k))) };
  };

  SetPlatformApplicationAttributes = async (input: { PlatformApplicationArn: string; Attributes: Record<string, string> }, ctx: RequestContext) => {
    const app = await this.#application(input.PlatformApplicationArn, ctx);
    const given = Object.fromEntries(Object.entries(input.Attributes ?? {}).map(([k, v]) => [k, String(v)]));
    const updated = await this.store.updateApplication(app.arn, (stored) => {
      const merged = { ...stored.attributes, ...given };
      for (const [k, v] of Object.entries(given)) if (v === '' && !SECRET_ATTRIBUTES.has(k)) delete merged[k];
      checkApplicationAttributes(stored.platform, given, merged);
      stored.attributes = merged;
    });
    if (!updated) throw new NotFoundException('PlatformApplication does not exist');
    return {};
  };

  ListPlatformApplications = async (input: { NextToken?: string }, ctx: RequestContext) => {
    const after = decodeToken(input.NextToken);
    const apps = await this.store.listApplications(ctx.accountId, ctx.region, after, PAGE + 1);
    const page = apps.slice(0, PAGE);
    return {
      PlatformApplications: page.map((a) => ({
        PlatformApplicationArn: a.arn,
        Attributes: Object.fromEntries(Object.entries(a.attributes).filter(([k]) => !SECRET_ATTRIBUTES.has(k))),
      })),
      NextToken: apps.length > PAGE ? encodeToken(page[page.length - 1]!.arn) : undefined,
    };
  };

  DeletePlatformApplication = async (input: { PlatformApplicationArn: string }, ctx: RequestContext) => {
    // Idempotent, as in AWS: an application that does not exist is no error.
    const app = typeof input.PlatformApplicationArn === 'string' ? await this.store.getApplication(input.PlatformApplicationArn) : undefined;
    if (app && app.accountId === ctx.accountId) await this.store.deleteApplication(app.arn);
    return {};
  };

  CreatePlatformEndpoint = async (
    input: { PlatformApplicationArn: string; Token: string; CustomUserData?: string; Attributes?: Record<string, string> },
    ctx: RequestContext,
  ) => {
    const app = await this.#application(input.PlatformApplicationArn, ctx);
    const token = String(input.Token ?? '');
    if (token === '') throw invalid('Token Reason: Token must be specified');
    if (token.length > 4096) throw invalid('Token Reason: Token is too long');
    const given = Object.fromEntries(Object.entries(input.Attributes ?? {}).map(([k, v]) => [k, String(v)]));
    if (input.CustomUserData !== undefined) given.CustomUserData = input.CustomUserData;
    checkEndpointAttributes(given);
    if (given.Token !== undefined && given.Token !== token) throw invalid('Attributes Reason: Token attribute must match the Token parameter');
    const attributes: Record<string, string> = { Enabled: 'true', ...given, Token: token };
    const arn = `arn:aws:sns:${ctx.region}:${ctx.accountId}:endpoint/${app.platform}/${app.name}/${randomUUID()}`;
    const outcome = await this.store.createEndpoint({ arn, applicationArn: app.arn, accountId: ctx.accountId, region: ctx.region, token, attributes, createdAt: Date.now() });
    if (!outcome) throw new NotFoundException('PlatformApplication does not exist');
    if (outcome.created) await this.#event(app, 'EventEndpointCreated', { EndpointArn: arn });
    if (!outcome.created) {
      // Idempotent on the token: the same attributes give the same endpoint; others are AWS's conflict.
      const existing = outcome.endpoint;
      // Only the attributes the request gives are compared (a disabled endpoint is found again by its
      // token, the documented way to re-enable it).
      const same = Object.entries(given).every(([k, v]) => (existing.attributes[k] ?? '') === v);
      if (!same) throw invalid(`Token Reason: Endpoint ${existing.arn} already exists with the same Token, but different attributes.`);
    }
    return { EndpointArn: outcome.endpoint.arn };
  };

  GetEndpointAttributes = async (input: { EndpointArn: string }, ctx: RequestContext) => {
    const e = await this.#endpoint(input.EndpointArn, ctx);
    return { Attributes: { ...e.attributes } };
  };

  SetEndpointAttributes = async (input: { EndpointArn: string; Attributes: Record<string, string> }, ctx: RequestContext) => {
    const e = await this.#endpoint(input.EndpointArn, ctx);
    const given = Object.fromEntries(Object.entries(input.Attributes ?? {}).map(([k, v]) => [k, String(v)]));
    checkEndpointAttributes(given);
    if (given.Token === '') throw invalid('Attributes Reason: Token must not be empty');
    const updated = await this.store.updateEndpoint(e.arn, (stored) => {
      for (const [k, v] of Object.entries(given)) {
        if (v === '' && k === 'CustomUserData') delete stored.attributes[k];
        else stored.attributes[k] = v;
      }
    });
    if (!updated) throw new NotFoundException('Endpoint does not exist');
    const app = await this.store.getApplication(updated.applicationArn);
    if (app) await this.#event(app, 'EventEndpointUpdated', { EndpointArn: updated.arn });
    return {};
  };

  ListEndpointsByPlatformApplication = async (input: { PlatformApplicationArn: string; NextToken?: string }, ctx: RequestContext) => {
    const app = await this.#application(input.PlatformApplicationArn, ctx);
    const endpoints = await this.store.listEndpoints(app.arn, decodeToken(input.NextToken), PAGE + 1);
    const page = endpoints.slice(0, PAGE);
    return {
      Endpoints: page.map((e) => ({ EndpointArn: e.arn, Attributes: { ...e.attributes } })),
      NextToken: endpoints.length > PAGE ? encodeToken(page[page.length - 1]!.arn) : undefined,
    };
  };

  DeleteEndpoint = async (input: { EndpointArn: string }, ctx: RequestContext) => {
    // Idempotent, as in AWS.
    const e = typeof input.EndpointArn === 'string' ? await this.store.getEndpoint(input.EndpointArn) : undefined;
    if (e && e.accountId === ctx.accountId) {
      await this.store.deleteEndpoint(e.arn);
      const app = await this.store.getApplication(e.applicationArn);
      if (app) await this.#event(app, 'EventEndpointDeleted', { EndpointArn: e.arn });
    }
    return {};
  };

  /** Publish with TargetArn = an endpoint: refused when it (or its application) is disabled, else recorded in the sink. */
  async publishToEndpoint(arn: string, m: PushMessage, ctx: RequestContext): Promise<void> {
    const e = await this.store.getEndpoint(arn);
    if (!e || e.accountId !== ctx.accountId) throw invalid('TargetArn Reason: No endpoint found for the target arn specified');
    const app = await this.store.getApplication(e.applicationArn);
    if (!app) throw invalid('TargetArn Reason: No endpoint found for the target arn specified');
    if (app.attributes.Enabled === 'false') throw new PlatformApplicationDisabledException('Platform application is disabled.');
    if (e.attributes.Enabled === 'false') throw new EndpointDisabledException('Endpoint is disabled');
    checkPlatformEntry(app.platform, m.message, m.messageStructure);
    // The publish is accepted; the push service then refuses the invalid token (AWS fails it after the fact).
    if (e.tokenInvalid) return this.#failed(app, e, m.messageId, 'InvalidPlatformToken', 'Platform token associated with the endpoint is not valid');
    await this.store.record([this.#sinkEntry(app, e, m)]);
  }

  /**
   * Delivers a topic's messages to an `application` subscription's endpoint. Returns the reason when
   * it is undeliverable (endpoint gone or disabled), as AWS counts it a failed delivery.
   */
  async deliverToEndpoint(endpointArn: string, messages: readonly PushMessage[]): Promise<string | undefined> {
    const e = await this.store.getEndpoint(endpointArn);
    const app = e ? await this.store.getApplication(e.applicationArn) : undefined;
    if (!e || !app) return 'EndpointNotFound';
    if (app.attributes.Enabled === 'false') return 'PlatformApplicationDisabled';
    if (e.attributes.Enabled === 'false' || e.tokenInvalid) {
      const type = e.attributes.Enabled === 'false' ? 'EndpointDisabled' : 'InvalidPlatformToken';
      const text = type === 'EndpointDisabled' ? 'Endpoint is disabled' : 'Platform token associated with the endpoint is not valid';
      for (const m of messages) await this.#failed(app, e, m.messageId, type, text, m.topicArn);
      return type;
    }
    await this.store.record(messages.map((m) => this.#sinkEntry(app, e, m)));
    return undefined;
  }

  #sinkEntry(app: PlatformApplicationRecord, e: PlatformEndpointRecord, m: PushMessage): Omit<SinkRecord, 'id'> {
    const payload = pushPayload(app.platform, m.message, m.messageStructure);
    return {
      accountId: e.accountId,
      region: e.region,
      kind: 'push',
      target: e.arn,
      messageId: m.messageId,
      payload: {
        platform: app.platform,
        platformApplicationArn: app.arn,
        token: e.token,
        customUserData: e.attributes.CustomUserData,
        message: payload.message,
        messageKey: payload.key,
        topicArn: m.topicArn,
        messageAttributes: m.attributes ? sinkAttributes(m.attributes) : undefined,
      },
      createdAt: Date.now(),
    };
  }
}

function checkEndpointAttributes(given: Record<string, string>): void {
  for (const [name, value] of Object.entries(given)) {
    if (!ENDPOINT_ATTRIBUTES.has(name)) throw invalid(`Attributes Reason: Invalid attribute name: ${name}`);
    if (name === 'Enabled' && value !== 'true' && value !== 'false') throw invalid('Attributes Reason: Enabled must be true or false');
    if (name === 'CustomUserData' && value.length > 2048) throw invalid('CustomUserData Reason: must be at most 2048 characters');
  }
}

/** String attributes as given; binary ones as base64. */
export function sinkAttributes(attributes: Record<string, SnsAttributeValue>): Record<string, { DataType: string; Value: string }> {
  return Object.fromEntries(
    Object.entries(attributes).map(([k, v]) => [k, { DataType: v.DataType, Value: v.BinaryValue !== undefined ? Buffer.from(v.BinaryValue).toString('base64') : (v.StringValue ?? '') }]),
  );
}

const encodeToken = (arn: string) => Buffer.from(arn).toString('base64');

function decodeToken(token: string | undefined): string {
  if (token === undefined || token === '') return '';
  const arn = Buffer.from(token, 'base64').toString('utf8');
  if (!arn.startsWith('arn:aws:sns:')) throw invalid('NextToken');
  return arn;
}
