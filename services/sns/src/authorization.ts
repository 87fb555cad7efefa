// What an SNS call asks of IAM: the topic's ARN (a subscription is authorized on its topic), the
// platform application's or the endpoint's ARN; SMS operations name no resource (`*`). SNS
// refuses with AuthorizationError (403), not AccessDenied.
import type { IamRequest } from '@atoll/core';

export function snsAuthorization(operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest {
  const text = (name: string) => (typeof input[name] === 'string' ? (input[name] as string) : undefined);
  if (operation === 'CreateTopic' && text('Name')) return { resources: [`arn:aws:sns:${scope.region}:${scope.accountId}:${text('Name')}`], deniedCode: 'AuthorizationError' };
  const subscription = text('SubscriptionArn');
  if (operation === 'CreatePlatformApplication' && text('Name') && text('Platform')) {
    return { resources: [`arn:aws:sns:${scope.region}:${scope.accountId}:app/${text('Platform')}/${text('Name')}`], deniedCode: 'AuthorizationError' };
  }
  const arn = text('TopicArn') ?? text('TargetArn') ?? text('ResourceArn') ?? text('PlatformApplicationArn') ?? text('EndpointArn') ?? (subscription ? subscription.slice(0, subscription.lastIndexOf(':')) : undefined);
  return { resources: arn ? [arn] : undefined, deniedCode: 'AuthorizationError' };
}
