// Unit tests for the platform rules that are easy to get subtly wrong: which credentials each push
// platform needs, which message a JSON-structured publish gives each platform, and E.164 numbers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkApplicationAttributes, isEndpointArn, pushPayload } from './platform-operations.js';
import { normalizePhoneNumber } from './sms-operations.js';

const refuses = (platform: string, attributes: Record<string, string>, pattern: RegExp) =>
  assert.throws(() => checkApplicationAttributes(platform, attributes, attributes), (e: { code: string; message: string }) => {
    assert.equal(e.code, 'InvalidParameter');
    assert.match(e.message, pattern);
    return true;
  });

describe('platform application attributes', () => {
  it('needs only PlatformCredential for GCM', () => {
    checkApplicationAttributes('GCM', { PlatformCredential: 'k' }, { PlatformCredential: 'k' });
    refuses('GCM', { PlatformPrincipal: 'p' }, /PlatformCredential/);
  });

  it('takes APNS certificate authentication (a PEM principal) or token authentication (team and bundle ids)', () => {
    const cert = { PlatformCredential: 'key', PlatformPrincipal: '-----BEGIN CERTIFICATE-----x' };
    checkApplicationAttributes('APNS', cert, cert);
    const token = { PlatformCredential: 'key', PlatformPrincipal: 'KEYID12345', ApplePlatformTeamID: 'ABCDE12345', ApplePlatformBundleID: 'com.x' };
    checkApplicationAttributes('APNS_SANDBOX', token, token);
    refuses('APNS', { PlatformCredential: 'key', PlatformPrincipal: 'KEYID', ApplePlatformTeamID: 'ABCDE12345' }, /ApplePlatformBundleID/);
    refuses('APNS', { ...token, ApplePlatformTeamID: 'short' }, /ApplePlatformTeamID/);
    refuses('APNS', { PlatformCredential: 'key', PlatformPrincipal: 'plain text' }, /PEM/);
  });

  it('needs a principal and a credential for ADM, BAIDU, MPNS and WNS', () => {
    for (const platform of ['ADM', 'BAIDU', 'MPNS', 'WNS']) {
      checkApplicationAttributes(platform, { PlatformPrincipal: 'p', PlatformCredential: 'c' }, { PlatformPrincipal: 'p', PlatformCredential: 'c' });
      refuses(platform, { PlatformCredential: 'c' }, /PlatformPrincipal/);
    }
  });

  it('checks event topics, the sample rate and Enabled, and refuses unknown names', () => {
    const base = { PlatformCredential: 'k' };
    refuses('GCM', { ...base, EventDeliveryFailure: 'arn:aws:sqs:us-east-1:000000000000:q' }, /EventDeliveryFailure/);
    refuses('GCM', { ...base, SuccessFeedbackSampleRate: '-1' }, /SuccessFeedbackSampleRate/);
    refuses('GCM', { ...base, Enabled: 'yes' }, /Enabled/);
    refuses('GCM', { ...base, Unknown: 'x' }, /Unknown/);
    checkApplicationAttributes('GCM', { ...base, EventDeliveryFailure: 'arn:aws:sns:us-east-1:000000000000:events', SuccessFeedbackSampleRate: '100' }, base);
  });
});

describe('push payloads', () => {
  it('gives a plain message as is', () => {
    assert.deepEqual(pushPayload('GCM', 'hi', undefined), { message: 'hi', key: 'default' });
  });

  it("gives the platform's own key of a JSON-structured message, else its default", () => {
    const doc = JSON.stringify({ default: 'd', APNS_SANDBOX: '{"aps":{}}', GCM: '{"data":{}}' });
    assert.deepEqual(pushPayload('APNS_SANDBOX', doc, 'json'), { message: '{"aps":{}}', key: 'APNS_SANDBOX' });
    assert.deepEqual(pushPayload('APNS', doc, 'json'), { message: 'd', key: 'default' });
    assert.deepEqual(pushPayload('GCM', doc, 'json'), { message: '{"data":{}}', key: 'GCM' });
  });
});

describe('ARNs and phone numbers', () => {
  it('recognises endpoint ARNs', () => {
    assert.equal(isEndpointArn('arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/0b1c'), true);
    assert.equal(isEndpointArn('arn:aws:sns:us-east-1:123456789012:topic'), false);
  });

  it('accepts E.164 numbers, dropping spaces and dashes, and refuses the rest', () => {
    assert.equal(normalizePhoneNumber('+1 555-555-0100'), '+15555550100');
    assert.equal(normalizePhoneNumber('+447700900123'), '+447700900123');
    for (const bad of ['15555550100', '+0123', '+1234567890123456', '+1555abc', 42]) assert.equal(normalizePhoneNumber(bad), undefined);
  });
});
