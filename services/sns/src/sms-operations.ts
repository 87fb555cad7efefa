// SMS: Publish with PhoneNumber (recorded in the delivery sink; no carrier is reached), the account's
// SMS attributes, opted-out numbers, origination numbers, and the SMS sandbox's destination numbers
// (the one-time password a verification would text is recorded in the sink, kind `sms-otp`).
import { randomInt } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import { InvalidParameterException, ResourceNotFoundException, VerificationException } from '@atoll/aws-models/sns';
import type { MobileStore } from './mobile-store.js';
import type { SnsAttributeValue } from './filter-policy.js';
import { sinkAttributes } from './platform-operations.js';

const SMS_ATTRIBUTES = new Set(['MonthlySpendLimit', 'DeliveryStatusIAMRole', 'DeliveryStatusSuccessSamplingRate', 'DefaultSenderID', 'DefaultSMSType', 'UsageReportS3Bucket']);
const LANGUAGES = new Set(['en-US', 'en-GB', 'es-419', 'es-ES', 'de-DE', 'fr-CA', 'fr-FR', 'it-IT', 'ja-JP', 'pt-BR', 'kr-KR', 'zh-CN', 'zh-TW']);
/** E.164: a plus, then up to 15 digits, the first not 0. */
const E164 = /^\+[1-9]\d{1,14}$/;
const PAGE = 100;
/** The size AWS allows one SMS publish (split into parts of 140 bytes by the carrier path). */
const MAX_SMS_BYTES = 1600;

const invalid = (what: string) => new InvalidParameterException(`Invalid parameter: ${what}`);

/** A number as Publish accepts it: E.164, spaces and dashes allowed and dropped. */
export function normalizePhoneNumber(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const compact = raw.replace(/[\s-]/g, '');
  return E164.test(compact) ? compact : undefined;
}

function checkSmsAttribute(name: string, value: string): void {
  if (!SMS_ATTRIBUTES.has(name)) throw invalid(name);
  const bad = () => invalid(`${name} Reason: ${value} is not valid`);
  if (name === 'MonthlySpendLimit' && !/^\d+$/.test(value)) throw bad();
  if (name === 'DeliveryStatusSuccessSamplingRate' && !(/^\d+$/.test(value) && Number(value) <= 100)) throw bad();
  if (name === 'DefaultSMSType' && value !== 'Promotional' && value !== 'Transactional') throw bad();
  if (name === 'DefaultSenderID' && value !== '' && !(/^[A-Za-z0-9]{1,11}$/.test(value) && /[A-Za-z]/.test(value))) throw bad();
  if (name === 'DeliveryStatusIAMRole' && value !== '' && !/^arn:aws:iam::\d{12}:role\/.+/.test(value)) throw bad();
}

function pageStart(token: string | undefined): string {
  if (token === undefined || token === '') return '';
  const start = Buffer.from(token, 'base64').toString('utf8');
  if (!start.startsWith('+')) throw invalid('NextToken');
  return start;
}

const pageToken = (last: string) => Buffer.from(last).toString('base64');

export class SmsOperations {
  constructor(readonly store: MobileStore) {}

  /** Publish with PhoneNumber: recorded in the sink unless the number opted out (then dropped, as AWS does). */
  async publishSms(phone: string, message: string, attributes: Record<string, SnsAttributeValue> | undefined, messageId: string, ctx: { accountId: string; region: string }): Promise<void> {
    if (Buffer.byteLength(message) > MAX_SMS_BYTES) throw invalid('Message too long');
    const type = attributes?.['AWS.SNS.SMS.SMSType']?.StringValue;
    if (type !== undefined && type !== 'Promotional' && type !== 'Transactional') {
      throw new InvalidParameterException(`Invalid parameter: MessageAttributes Reason: AWS.SNS.SMS.SMSType: ${type} is not valid`);
    }
    if (await this.store.isOptedOut(ctx.accountId, ctx.region, phone)) return;
    const settings = await this.store.smsAttributes(ctx.accountId, ctx.region);
    await this.store.record([
      {
        accountId: ctx.accountId,
        region: ctx.region,
        kind: 'sms',
        target: phone,
        messageId,
        payload: {
          message,
          smsType: type ?? settings.DefaultSMSType ?? 'Promotional',
          senderId: attributes?.['AWS.SNS.SMS.SenderID']?.StringValue ?? settings.DefaultSenderID,
          parts: Math.max(1, Math.ceil(Buffer.byteLength(message) / 140)),
          messageAttributes: attributes ? sinkAttributes(attributes) : undefined,
        },
        createdAt: Date.now(),
      },
    ]);
  }

  SetSMSAttributes = async (input: { attributes: Record<string, string> }, ctx: RequestContext) => {
    const given = Object.fromEntries(Object.entries(input.attributes ?? {}).map(([k, v]) => [k, String(v)]));
    for (const [k, v] of Object.entries(given)) checkSmsAttribute(k, v);
    await this.store.setSmsAttributes(ctx.accountId, ctx.region, given);
    return {};
  };

  GetSMSAttributes = async (input: { attributes?: string[] }, ctx: RequestContext) => {
    const all = await this.store.smsAttributes(ctx.accountId, ctx.region);
    const names = input.attributes ?? [];
    return { attributes: names.length === 0 ? all : Object.fromEntries(names.filter((n) => all[n] !== undefined).map((n) => [n, all[n]!])) };
  };

  CheckIfPhoneNumberIsOptedOut = async (input: { phoneNumber: string }, ctx: RequestContext) => {
    const phone = normalizePhoneNumber(input.phoneNumber);
    if (!phone) throw invalid('PhoneNumber');
    return { isOptedOut: await this.store.isOptedOut(ctx.accountId, ctx.region, phone) };
  };

  ListPhoneNumbersOptedOut = async (input: { nextToken?: string }, ctx: RequestContext) => {
    const numbers = await this.store.listOptedOut(ctx.accountId, ctx.region, pageStart(input.nextToken), PAGE + 1);
    const page = numbers.slice(0, PAGE);
    return { phoneNumbers: page, nextToken: numbers.length > PAGE ? pageToken(page[page.length - 1]!) : undefined };
  };

  OptInPhoneNumber = async (input: { phoneNumber: string }, ctx: RequestContext) => {
    const phone = normalizePhoneNumber(input.phoneNumber);
    if (!phone) throw invalid('PhoneNumber');
    await this.store.setOptedOut(ctx.accountId, ctx.region, phone, false);
    return {};
  };

  /** No origination numbers are provisioned locally: the list is empty (MaxResults is still checked). */
  ListOriginationNumbers = async (input: { NextToken?: string; MaxResults?: number }) => {
    if (input.MaxResults !== undefined && (!Number.isInteger(input.MaxResults) || input.MaxResults < 1 || input.MaxResults > 30)) {
      throw invalid('MaxResults Reason: must be from 1 to 30');
    }
    return { PhoneNumbers: [] };
  };

  GetSMSSandboxAccountStatus = async () => ({ IsInSandbox: false });

  CreateSMSSandboxPhoneNumber = async (input: { PhoneNumber: string; LanguageCode?: string }, ctx: RequestContext) => {
    const phone = normalizePhoneNumber(input.PhoneNumber);
    if (!phone) throw invalid('PhoneNumber');
    const languageCode = input.LanguageCode ?? 'en-US';
    if (!LANGUAGES.has(languageCode)) throw invalid('LanguageCode');
    const otp = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await this.store.addSandboxNumber(ctx.accountId, ctx.region, { phoneNumber: phone, status: 'Pending', otp, languageCode, createdAt: Date.now() }, `otp-${Date.now()}`);
    return {};
  };

  VerifySMSSandboxPhoneNumber = async (input: { PhoneNumber: string; OneTimePassword: string }, ctx: RequestContext) => {
    const phone = normalizePhoneNumber(input.PhoneNumber);
    if (!phone) throw invalid('PhoneNumber');
    const outcome = await this.store.verifySandboxNumber(ctx.accountId, ctx.region, phone, String(input.OneTimePassword ?? ''));
    if (outcome === 'missing') throw new ResourceNotFoundException(`The phone number ${phone} was not found in the sandbox.`);
    if (outcome === 'mismatch') throw new VerificationException('Invalid one-time password.', { Status: 'Failed' });
    return {};
  };

  ListSMSSandboxPhoneNumbers = async (input: { NextToken?: string; MaxResults?: number }, ctx: RequestContext) => {
    const max = input.MaxResults ?? PAGE;
    if (!Number.isInteger(max) || max < 1 || max > PAGE) throw invalid('MaxResults Reason: must be from 1 to 100');
    const numbers = await this.store.listSandboxNumbers(ctx.accountId, ctx.region, pageStart(input.NextToken), max + 1);
    const page = numbers.slice(0, max);
    return {
      PhoneNumbers: page.map((n) => ({ PhoneNumber: n.phoneNumber, Status: n.status })),
      NextToken: numbers.length > max ? pageToken(page[page.length - 1]!.phoneNumber) : undefined,
    };
  };

  DeleteSMSSandboxPhoneNumber = async (input: { PhoneNumber: string }, ctx: RequestContext) => {
    const phone = normalizePhoneNumber(input.PhoneNumber);
    if (!phone) throw invalid('PhoneNumber');
    if (!(await this.store.deleteSandboxNumber(ctx.accountId, ctx.region, phone))) {
      throw new ResourceNotFoundException(`The phone number ${phone} was not found in the sandbox.`);
    }
    return {};
  };
}
