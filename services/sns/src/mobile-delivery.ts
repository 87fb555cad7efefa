// Delivery channels for `application` (mobile endpoint) and `sms` subscriptions: each recorded in the
// local delivery sink (platform-operations.ts, sms-operations.ts) instead of a push service or a
// carrier. An undeliverable push (endpoint deleted or disabled, application disabled) is logged and
// announced as `sns.DeliveryFailed`, as AWS counts it in NumberOfNotificationsFailed.
import type { Logger, PlatformContext } from '@atoll/core';
import { Notifier, reportDeliveryFailure, type DeliveryChannel, type DeliveryItem } from './delivery.js';
import type { PlatformOperations } from './platform-operations.js';
import type { SmsOperations } from './sms-operations.js';
import type { SubscriptionRecord, TopicRecord } from './sns-records.js';

export class ApplicationChannel implements DeliveryChannel {
  constructor(
    readonly platform: PlatformContext,
    readonly push: PlatformOperations,
    readonly logger: Logger,
  ) {}

  async deliver(topic: TopicRecord, sub: SubscriptionRecord, items: readonly DeliveryItem[]): Promise<void> {
    const failure = await this.push.deliverToEndpoint(
      sub.endpoint,
      items.map((i) => ({
        messageId: i.message.messageId,
        message: i.message.message,
        messageStructure: i.message.messageStructure,
        attributes: i.message.attributes,
        topicArn: topic.arn,
      })),
    );
    if (failure) {
      this.logger.warn({ subscription: sub.arn, endpoint: sub.endpoint, reason: failure }, 'sns delivery to a mobile endpoint failed');
      reportDeliveryFailure(this.platform, topic, sub, failure, `The endpoint ${sub.endpoint} cannot take deliveries (${failure})`, items.length);
    }
  }
}

export class SmsChannel implements DeliveryChannel {
  constructor(readonly sms: SmsOperations) {}

  async deliver(topic: TopicRecord, sub: SubscriptionRecord, items: readonly DeliveryItem[]): Promise<void> {
    for (const item of items) {
      const text = Notifier.textFor('sms', item.message);
      await this.sms.publishSms(sub.endpoint, text, item.message.attributes, item.message.messageId, { accountId: topic.accountId, region: topic.region });
    }
  }
}
