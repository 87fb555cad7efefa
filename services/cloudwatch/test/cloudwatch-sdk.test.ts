// CloudWatch metrics and alarms through @aws-sdk/client-cloudwatch (JSON 1.0) and the query protocol:
// PutMetricData shapes, statistics and percentiles, GetMetricData with metric math, ListMetrics,
// alarm evaluation with an SNS action delivered to an SQS queue, composite alarms and history.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  ListMetricsCommand,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  ResourceNotFound,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { queuePolicyAllowing, signedFetch, startPlatform, type TestPlatform } from '@atoll/test-support';

const minute = (t: number) => Math.floor(t / 60_000) * 60_000;

describe('CloudWatch', () => {
  let p: TestPlatform;
  let cw: CloudWatchClient;
  before(async () => {
    p = await startPlatform({ services: ['cloudwatch', 'sns', 'sqs', 'iam', 'sts'] });
    cw = p.client(CloudWatchClient);
  });
  after(() => p.stop());

  test('stores values, statistic sets and value arrays, and answers statistics and percentiles per period', async () => {
    const t0 = minute(Date.now()) - 10 * 60_000;
    const dims = [{ Name: 'Service', Value: 'checkout' }];
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'App',
        MetricData: [
          { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(t0 + 1000), Value: 10, Unit: 'Milliseconds' },
          { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(t0 + 2000), Values: [20, 30, 1000], Counts: [1, 2, 1], Unit: 'Milliseconds' },
          { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(t0 + 60_000), StatisticValues: { SampleCount: 4, Sum: 40, Minimum: 5, Maximum: 15 }, Unit: 'Milliseconds' },
        ],
      }),
    );
    const stats = await cw.send(
      new GetMetricStatisticsCommand({ Namespace: 'App', MetricName: 'Latency', Dimensions: dims, StartTime: new Date(t0), EndTime: new Date(t0 + 120_000), Period: 60, Statistics: ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'] }),
    );
    assert.deepEqual(
      stats.Datapoints!.map((d) => [d.Timestamp!.getTime(), d.SampleCount, d.Sum, d.Average, d.Minimum, d.Maximum, d.Unit]),
      [
        [t0, 5, 1090, 218, 10, 1000, 'Milliseconds'],
        [t0 + 60_000, 4, 40, 10, 5, 15, 'Milliseconds'],
      ],
    );
    const pct = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'App', MetricName: 'Latency', Dimensions: dims, StartTime: new Date(t0), EndTime: new Date(t0 + 60_000), Period: 60, ExtendedStatistics: ['p50', 'p99'] }));
    assert.deepEqual(pct.Datapoints![0]!.ExtendedStatistics, { p50: 30, p99: 1000 });
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'App', Dimensions: [{ Name: 'Service' }] }));
    assert.deepEqual(listed.Metrics, [{ Namespace: 'App', MetricName: 'Latency', Dimensions: dims }]);
  });

  test('refuses bad data with AWS errors', async () => {
    await assert.rejects(
      cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'X', Value: 1, Values: [1] }] })),
      (e) => e instanceof InvalidParameterCombinationException && e.message === 'The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.',
    );
    await assert.rejects(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: [{ MetricName: 'X', Value: 1 }] })), InvalidParameterValueException);
    await assert.rejects(cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'X', Value: 1, StorageResolution: 30 }] })), InvalidParameterValueException);
    await assert.rejects(cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'X', Value: 1, Timestamp: new Date(Date.now() + 3 * 3_600_000) }] })), InvalidParameterValueException);
    await assert.rejects(
      cw.send(new GetMetricStatisticsCommand({ Namespace: 'App', MetricName: 'X', StartTime: new Date(Date.now() - 60_000), EndTime: new Date(), Period: 45, Statistics: ['Sum'] })),
      InvalidParameterValueException,
    );
  });

  test('GetMetricData evaluates metric stats and metric math (arithmetic, SUM over METRICS(), FILL, SEARCH)', async () => {
    const t0 = minute(Date.now()) - 5 * 60_000;
    const put = (name: string, values: (number | undefined)[]) =>
      cw.send(new PutMetricDataCommand({ Namespace: 'Math', MetricData: values.flatMap((v, i) => (v === undefined ? [] : [{ MetricName: name, Dimensions: [{ Name: 'Q', Value: 'q1' }], Timestamp: new Date(t0 + i * 60_000), Value: v }])) }));
    await put('Errors', [1, 2, undefined, 4]);
    await put('Requests', [10, 20, 30, 40]);
    const metric = (id: string, name: string) => ({ Id: id, MetricStat: { Metric: { Namespace: 'Math', MetricName: name, Dimensions: [{ Name: 'Q', Value: 'q1' }] }, Period: 60, Stat: 'Sum' }, ReturnData: false });
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t0),
        EndTime: new Date(t0 + 4 * 60_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          metric('e', 'Errors'),
          metric('r', 'Requests'),
          { Id: 'rate', Expression: '100 * e / r', Label: 'ErrorRate' },
          { Id: 'filled', Expression: 'FILL(e, 0)' },
          { Id: 'total', Expression: 'SUM(METRICS())' },
          { Id: 'found', Expression: `SEARCH('{Math,Q} MetricName="Requests"', 'Sum', 60)` },
        ],
      }),
    );
    const byId = Object.fromEntries(out.MetricDataResults!.map((r) => [r.Id, r]));
    assert.deepEqual(byId.rate!.Values, [10, 10, 10]);
    assert.equal(byId.rate!.Label, 'ErrorRate');
    assert.deepEqual(byId.filled!.Values, [1, 2, 0, 4]);
    assert.deepEqual(byId.total!.Values, [11, 22, 30, 44]);
    assert.deepEqual(byId.found!.Values, [10, 20, 30, 40]);
    assert.equal(byId.e, undefined);
    await assert.rejects(
      cw.send(new GetMetricDataCommand({ StartTime: new Date(t0), EndTime: new Date(), MetricDataQueries: [{ Id: 'bad', Expression: '1 + * 2' }] })),
      (e: Error) => e.name === 'ValidationError' || /Error in expression 'bad'/.test(e.message),
    );
  });

  test('an alarm goes to ALARM on a breaching datapoint, notifies its SNS topic, and comes back to OK', async () => {
    const sqs = p.client(SQSClient);
    const sns = p.client(SNSClient);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'alarm-inbox' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alarms' }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: queuePolicyAllowing(Attributes!.QueueArn!, 'sns.amazonaws.com', TopicArn!) } }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'high-errors',
        Namespace: 'Alarmed',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [TopicArn!],
        OKActions: [TopicArn!],
      }),
    );
    const initial = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['high-errors'] }));
    assert.equal(initial.MetricAlarms![0]!.StateValue, 'INSUFFICIENT_DATA');
    const sent = Date.now();
    await cw.send(new PutMetricDataCommand({ Namespace: 'Alarmed', MetricData: [{ MetricName: 'Errors', Value: 9, StorageResolution: 1 }] }));
    let message: string | undefined;
    while (!message && Date.now() - sent < 8000) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
      const body = got.Messages?.[0]?.Body;
      if (body && JSON.parse(body).NewStateValue === 'ALARM') message = body;
    }
    assert.ok(message, `the ALARM notification arrived (${JSON.stringify((await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'high-errors' }))).AlarmHistoryItems?.map((h) => h.HistorySummary))})`);
    const n = JSON.parse(message!);
    assert.equal(n.AlarmName, 'high-errors');
    assert.equal(n.OldStateValue, 'INSUFFICIENT_DATA');
    assert.equal(n.Trigger.Threshold, 5);
    assert.ok(Date.now() - sent < 10_000 + 1000, 'within one period plus 1 s');
    const alarmed = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['high-errors'] }));
    assert.equal(alarmed.MetricAlarms![0]!.StateValue, 'ALARM');
    assert.match(alarmed.MetricAlarms![0]!.StateReason!, /^Threshold Crossed: 1 out of the last 1 datapoints \[9(\.0)?\] was greater than the threshold \(5(\.0)?\)/);

    await cw.send(new PutCompositeAlarmCommand({ AlarmName: 'any-bad', AlarmRule: 'ALARM("high-errors") OR ALARM(high-errors)' }));
    await assert.rejects(cw.send(new PutCompositeAlarmCommand({ AlarmName: 'broken', AlarmRule: 'ALARM(nope)' })), (e: Error) => /do not exist/.test(e.message));
    await assert.rejects(cw.send(new DeleteAlarmsCommand({ AlarmNames: ['high-errors'] })), (e: Error) => /referenced by the composite alarm any-bad/.test(e.message));

    await cw.send(new SetAlarmStateCommand({ AlarmName: 'high-errors', StateValue: 'OK', StateReason: 'manual' }));
    const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'high-errors', HistoryItemType: 'StateUpdate' }));
    assert.deepEqual(history.AlarmHistoryItems!.map((h) => h.HistorySummary), ['Alarm updated from ALARM to OK', 'Alarm updated from INSUFFICIENT_DATA to ALARM']);
    await assert.rejects(cw.send(new SetAlarmStateCommand({ AlarmName: 'missing', StateValue: 'OK', StateReason: 'x' })), ResourceNotFound);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['any-bad', 'high-errors'] }));
  });

  test('answers the query protocol too', async () => {
    const res = await signedFetch(p.endpoint, p.credentials, {
      service: 'monitoring',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListMetrics&Version=2010-08-01&Namespace=App',
    });
    assert.equal(res.status, 200);
    assert.match(res.text, /<ListMetricsResponse[^>]*>[\s\S]*<MetricName>Latency<\/MetricName>/);
    const bad = await signedFetch(p.endpoint, p.credentials, {
      service: 'monitoring',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=PutMetricData&Version=2010-08-01&Namespace=AWS%2FX&MetricData.member.1.MetricName=a&MetricData.member.1.Value=1',
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /<Code>InvalidParameterValue<\/Code>/);
  });
});
