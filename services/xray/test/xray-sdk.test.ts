// X-Ray through @aws-sdk/client-xray: segments in and out, per-segment rejection, in-progress
// segments, summaries with filter expressions, graphs, sampling rules and targets, groups, tags.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  BatchGetTracesCommand,
  CreateGroupCommand,
  CreateSamplingRuleCommand,
  DeleteGroupCommand,
  DeleteSamplingRuleCommand,
  GetGroupCommand,
  GetGroupsCommand,
  GetSamplingRulesCommand,
  GetSamplingStatisticSummariesCommand,
  GetSamplingTargetsCommand,
  GetServiceGraphCommand,
  GetTraceGraphCommand,
  GetTraceSummariesCommand,
  InvalidRequestException,
  ListTagsForResourceCommand,
  PutTelemetryRecordsCommand,
  PutTraceSegmentsCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  UpdateSamplingRuleCommand,
  XRayClient,
} from '@aws-sdk/client-xray';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const hex = (n: number) => randomBytes(n).toString('hex');
const traceId = (at = Date.now()) => `1-${Math.floor(at / 1000).toString(16)}-${hex(12)}`;

describe('X-Ray', () => {
  let p: TestPlatform;
  let xray: XRayClient;
  before(async () => {
    p = await startPlatform({ services: ['xray', 'iam', 'sts'] });
    xray = p.client(XRayClient);
  });
  after(() => p.stop());

  const put = async (...docs: object[]) => (await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs.map((d) => JSON.stringify(d)) }))).UnprocessedTraceSegments ?? [];

  it('rejects bad segments one by one with their codes and keeps the good ones', async () => {
    const now = Date.now() / 1000;
    const tid = traceId();
    const good = { name: 'web', id: hex(8), trace_id: tid, start_time: now - 1, end_time: now };
    const old = `1-${Math.floor(Date.now() / 1000 - 40 * 86400).toString(16)}-${hex(12)}`;
    const future = `1-${Math.floor(Date.now() / 1000 + 3600).toString(16)}-${hex(12)}`;
    const oldId = hex(8);
    const bigId = hex(8);
    const out = await xray.send(
      new PutTraceSegmentsCommand({
        TraceSegmentDocuments: [
          JSON.stringify(good),
          JSON.stringify({ name: 'x', trace_id: tid, start_time: now, end_time: now }),
          JSON.stringify({ ...good, id: oldId, trace_id: old }),
          JSON.stringify({ ...good, id: hex(8), trace_id: future }),
          JSON.stringify({ ...good, id: hex(8), trace_id: 'abc' }),
          JSON.stringify({ ...good, id: hex(8), name: undefined }),
          JSON.stringify({ ...good, id: hex(8), end_time: undefined }),
          JSON.stringify({ ...good, id: hex(8), start_time: now - 60 * 86400 }),
          JSON.stringify({ ...good, id: bigId, metadata: { pad: 'x'.repeat(70_000) } }),
          '{"id": "0123456789abcdef", not json',
        ],
      }),
    );
    assert.deepEqual(
      out.UnprocessedTraceSegments!.map((u) => u.ErrorCode),
      ['MissingId', 'InvalidTraceId', 'InvalidTraceId', 'InvalidTraceId', 'MissingName', 'MissingEndTime', 'InvalidStartTime', 'SegmentTooLarge', 'ParseError'],
    );
    assert.equal(out.UnprocessedTraceSegments![1]!.Id, oldId);
    assert.equal(out.UnprocessedTraceSegments![1]!.Message, 'Invalid segment. ErrorCode: InvalidTraceId');
    assert.equal(out.UnprocessedTraceSegments![7]!.Id, bigId);
    assert.equal(out.UnprocessedTraceSegments![8]!.Id, '0123456789abcdef');
    const got = await xray.send(new BatchGetTracesCommand({ TraceIds: [tid, traceId()] }));
    assert.equal(got.Traces!.length, 1);
    assert.deepEqual(got.Traces![0]!.Segments!.map((s) => JSON.parse(s.Document!).name), ['web']);
    assert.equal(got.UnprocessedTraceIds!.length, 1);
  });

  it('replaces an in-progress segment when it completes, folds independent subsegments and adds inferred segments', async () => {
    const now = Date.now() / 1000;
    const tid = traceId();
    const id = hex(8);
    assert.deepEqual(await put({ name: 'api', id, trace_id: tid, start_time: now - 2, in_progress: true }), []);
    let summaries = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date((now - 10) * 1000), EndTime: new Date((now + 10) * 1000), FilterExpression: 'partial' }));
    assert.ok(summaries.TraceSummaries!.some((s) => s.Id === tid && s.IsPartial === true));
    const subId = hex(8);
    await put(
      { name: 'api', id, trace_id: tid, start_time: now - 2, end_time: now, http: { request: { method: 'GET', url: 'http://x/a' }, response: { status: 200 } } },
      {
        type: 'subsegment',
        name: 'DynamoDB',
        id: subId,
        parent_id: id,
        trace_id: tid,
        namespace: 'aws',
        start_time: now - 1.5,
        end_time: now - 1,
        aws: { operation: 'GetItem', table_name: 'orders' },
      },
    );
    // A late in-progress copy never undoes the completed segment.
    await put({ name: 'api', id, trace_id: tid, start_time: now - 2, in_progress: true });
    const got = await xray.send(new BatchGetTracesCommand({ TraceIds: [tid] }));
    const docs = got.Traces![0]!.Segments!.map((s) => JSON.parse(s.Document!));
    const api = docs.find((d) => d.name === 'api');
    assert.equal(api.in_progress, undefined);
    assert.equal(api.end_time, now);
    assert.deepEqual(api.subsegments.map((s: { id: string }) => s.id), [subId]);
    const inferred = docs.find((d) => d.inferred);
    assert.deepEqual([inferred.name, inferred.origin, inferred.parent_id], ['orders', 'AWS::DynamoDB::Table', subId]);
    assert.equal(got.Traces![0]!.Duration, 2);
    summaries = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date((now - 10) * 1000), EndTime: new Date((now + 10) * 1000), FilterExpression: `service("orders")` }));
    const s = summaries.TraceSummaries!.find((x) => x.Id === tid)!;
    assert.equal(s.IsPartial, false);
    assert.equal(s.Http!.HttpStatus, 200);
    assert.equal(s.ResponseTime, 2);
  });

  it('filters trace summaries by keyword, annotation, service, edge and http status', async () => {
    const now = Date.now() / 1000;
    const mk = (name: string, opts: Record<string, unknown>) => {
      const tid = traceId();
      const segId = hex(8);
      const down = hex(8);
      return {
        tid,
        docs: [
          { name, id: segId, trace_id: tid, start_time: now - 3, end_time: now - 3 + Number(opts.rt ?? 1), annotations: opts.annotations ?? {}, http: { response: { status: opts.status ?? 200 } }, fault: opts.fault, error: opts.error, subsegments: [{ id: down, name: 'call', namespace: 'remote', start_time: now - 2.9, end_time: now - 2.5 }] },
          { name: String(opts.downstream ?? 'backend'), id: hex(8), parent_id: down, trace_id: tid, start_time: now - 2.8, end_time: now - 2.6 },
        ],
      };
    };
    const a = mk('filt-a', { rt: 0.5, annotations: { tier: 'gold', n: 5, flag: false }, status: 200 });
    const b = mk('filt-b', { rt: 2, annotations: { tier: 'silver', n: 0 }, status: 500, fault: true, downstream: 'other' });
    const c = mk('filt-c', { rt: 1, status: 404, error: true });
    assert.deepEqual(await put(...a.docs, ...b.docs, ...c.docs), []);
    const ids = async (FilterExpression: string) => {
      const out = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date((now - 60) * 1000), EndTime: new Date((now + 60) * 1000), FilterExpression }));
      return out.TraceSummaries!.map((t) => t.Id).filter((id) => [a.tid, b.tid, c.tid].includes(id!)).sort();
    };
    const sorted = (...x: string[]) => x.sort();
    assert.deepEqual(await ids('fault'), [b.tid]);
    assert.deepEqual(await ids('error = true'), [c.tid]);
    assert.deepEqual(await ids('responsetime > 0.9 AND NOT fault'), [c.tid]);
    assert.deepEqual(await ids('duration < 1'), [a.tid]);
    assert.deepEqual(await ids('http.status >= 400'), sorted(b.tid, c.tid));
    assert.deepEqual(await ids('annotation.tier = "gold"'), [a.tid]);
    assert.deepEqual(await ids('annotation.n = 0'), [b.tid]);
    assert.deepEqual(await ids('annotation.flag = false'), [a.tid]);
    assert.deepEqual(await ids('annotation.tier BEGINSWITH "s" || service("filt-a")'), sorted(a.tid, b.tid));
    assert.deepEqual(await ids('edge("filt-b", "other")'), [b.tid]);
    assert.deepEqual(await ids('service("filt-b") { fault }'), [b.tid]);
    assert.deepEqual(await ids('service("filt-c") { fault }'), []);
    assert.deepEqual(await ids('(service("filt-a") OR service("filt-c")) AND !error'), [a.tid]);
    await assert.rejects(
      xray.send(new GetTraceSummariesCommand({ StartTime: new Date((now - 60) * 1000), EndTime: new Date(now * 1000), FilterExpression: 'service("a" AND' })),
      (e) => e instanceof InvalidRequestException && e.$metadata.httpStatusCode === 400,
    );
    await assert.rejects(xray.send(new GetTraceSummariesCommand({ StartTime: new Date((now - 60) * 1000), EndTime: new Date(now * 1000), FilterExpression: 'bogus > 1' })), InvalidRequestException);
  });

  it('pages trace summaries with NextToken', async () => {
    const now = Date.now() / 1000;
    const start = new Date((now - 1) * 1000);
    const docs = Array.from({ length: 130 }, (_, i) => ({ name: 'pager', id: hex(8), trace_id: traceId(), start_time: now - 0.5 + i / 1000, end_time: now }));
    assert.deepEqual(await put(...docs.slice(0, 65)), []);
    assert.deepEqual(await put(...docs.slice(65)), []);
    const first = await xray.send(new GetTraceSummariesCommand({ StartTime: start, EndTime: new Date((now + 1) * 1000), FilterExpression: 'service("pager")' }));
    assert.equal(first.TraceSummaries!.length, 100);
    assert.ok(first.NextToken);
    const second = await xray.send(new GetTraceSummariesCommand({ StartTime: start, EndTime: new Date((now + 1) * 1000), FilterExpression: 'service("pager")', NextToken: first.NextToken }));
    assert.equal(second.TraceSummaries!.length, 30);
    assert.equal(second.NextToken, undefined);
    assert.equal(new Set([...first.TraceSummaries!, ...second.TraceSummaries!].map((s) => s.Id)).size, 130);
  });

  it('builds the service graph with edges, statistics and histograms, and the graph of given traces', async () => {
    const now = Date.now() / 1000;
    const traces: string[] = [];
    for (let i = 0; i < 3; i++) {
      const tid = traceId();
      traces.push(tid);
      const seg = hex(8);
      const call = hex(8);
      await put(
        { name: 'graph-front', id: seg, trace_id: tid, origin: 'AWS::ECS::Container', start_time: now - 1, end_time: now - 0.5, fault: i === 2, subsegments: [{ id: call, name: 'graph-back', namespace: 'remote', start_time: now - 0.9, end_time: now - 0.6 }] },
        { name: 'graph-back', id: hex(8), parent_id: call, trace_id: tid, start_time: now - 0.85, end_time: now - 0.65, subsegments: [{ id: hex(8), name: 'SQS', namespace: 'aws', start_time: now - 0.8, end_time: now - 0.7, aws: { operation: 'SendMessage', queue_url: 'http://x/000000000000/jobs' } }] },
      );
    }
    const out = await xray.send(new GetServiceGraphCommand({ StartTime: new Date((now - 5) * 1000), EndTime: new Date((now + 5) * 1000) }));
    const byName = new Map(out.Services!.map((s) => [s.Name, s]));
    const front = byName.get('graph-front')!;
    const back = byName.get('graph-back')!;
    const queue = byName.get('jobs')!;
    assert.equal(front.Type, 'AWS::ECS::Container');
    assert.equal(front.Root, true);
    assert.equal(front.SummaryStatistics!.TotalCount, 3);
    assert.equal(front.SummaryStatistics!.FaultStatistics!.TotalCount, 1);
    assert.equal(front.SummaryStatistics!.OkCount, 2);
    assert.deepEqual(front.ResponseTimeHistogram, [{ Value: 0.5, Count: 3 }]);
    assert.deepEqual(front.Edges!.map((e) => e.ReferenceId), [back.ReferenceId]);
    assert.equal(front.Edges![0]!.SummaryStatistics!.TotalCount, 3);
    assert.deepEqual(back.Edges!.map((e) => e.ReferenceId), [queue.ReferenceId]);
    assert.equal(queue.Type, 'AWS::SQS::Queue');
    const one = await xray.send(new GetTraceGraphCommand({ TraceIds: [traces[0]!] }));
    assert.deepEqual(one.Services!.map((s) => s.Name).sort(), ['graph-back', 'graph-front', 'jobs']);
    assert.equal(one.Services!.find((s) => s.Name === 'graph-front')!.SummaryStatistics!.TotalCount, 1);
  });

  it('keeps sampling rules and shares a rule reservoir between its clients', async () => {
    const rules = await xray.send(new GetSamplingRulesCommand({}));
    const def = rules.SamplingRuleRecords!.find((r) => r.SamplingRule!.RuleName === 'Default')!.SamplingRule!;
    assert.deepEqual([def.FixedRate, def.ReservoirSize, def.Priority], [0.05, 1, 10000]);
    const rule = { RuleName: 'orders', ResourceARN: '*', Priority: 10, FixedRate: 0.25, ReservoirSize: 5, ServiceName: 'orders', ServiceType: '*', Host: '*', HTTPMethod: '*', URLPath: '/orders/*', Version: 1 };
    const created = await xray.send(new CreateSamplingRuleCommand({ SamplingRule: rule, Tags: [{ Key: 'team', Value: 'a' }] }));
    assert.equal(created.SamplingRuleRecord!.SamplingRule!.RuleARN, `arn:aws:xray:${p.region}:${p.accountId}:sampling-rule/orders`);
    await assert.rejects(xray.send(new CreateSamplingRuleCommand({ SamplingRule: rule })), InvalidRequestException);
    await assert.rejects(xray.send(new CreateSamplingRuleCommand({ SamplingRule: { ...rule, RuleName: 'bad', FixedRate: 2 } })), (e: Error) => e.name === 'ValidationException');
    await assert.rejects(xray.send(new CreateSamplingRuleCommand({ SamplingRule: { ...rule, RuleName: 'bad', Version: 2 } })), InvalidRequestException);
    const listed = await xray.send(new GetSamplingRulesCommand({}));
    assert.deepEqual(listed.SamplingRuleRecords!.map((r) => r.SamplingRule!.RuleName), ['orders', 'Default']);
    const ts = new Date();
    const target = async (ClientID: string) =>
      (await xray.send(new GetSamplingTargetsCommand({ SamplingStatisticsDocuments: [{ RuleName: 'orders', ClientID, Timestamp: ts, RequestCount: 10, SampledCount: 3, BorrowCount: 0 }] }))).SamplingTargetDocuments![0]!;
    const alone = await target('aaaaaaaaaaaaaaaaaaaaaaaa');
    assert.deepEqual([alone.FixedRate, alone.ReservoirQuota, alone.Interval], [0.25, 5, 10]);
    assert.ok(alone.ReservoirQuotaTTL!.getTime() > Date.now());
    const second = await target('bbbbbbbbbbbbbbbbbbbbbbbb');
    const first = await target('aaaaaaaaaaaaaaaaaaaaaaaa');
    assert.equal(first.ReservoirQuota! + second.ReservoirQuota!, 5);
    assert.deepEqual([first.ReservoirQuota, second.ReservoirQuota], [3, 2]);
    const unknown = await xray.send(new GetSamplingTargetsCommand({ SamplingStatisticsDocuments: [{ RuleName: 'nope', ClientID: 'cccccccccccccccccccccccc', Timestamp: ts, RequestCount: 1, SampledCount: 0 }] }));
    assert.equal(unknown.UnprocessedStatistics![0]!.RuleName, 'nope');
    const stats = await xray.send(new GetSamplingStatisticSummariesCommand({}));
    const o = stats.SamplingStatisticSummaries!.find((s) => s.RuleName === 'orders')!;
    assert.deepEqual([o.RequestCount, o.SampledCount], [30, 9]);
    const updated = await xray.send(new UpdateSamplingRuleCommand({ SamplingRuleUpdate: { RuleName: 'orders', FixedRate: 0.5 } }));
    assert.equal(updated.SamplingRuleRecord!.SamplingRule!.FixedRate, 0.5);
    assert.equal((await target('aaaaaaaaaaaaaaaaaaaaaaaa')).FixedRate, 0.5);
    await assert.rejects(xray.send(new UpdateSamplingRuleCommand({ SamplingRuleUpdate: { RuleName: 'Default', URLPath: '/x' } })), InvalidRequestException);
    await assert.rejects(xray.send(new DeleteSamplingRuleCommand({ RuleName: 'Default' })), InvalidRequestException);
    const tags = await xray.send(new ListTagsForResourceCommand({ ResourceARN: created.SamplingRuleRecord!.SamplingRule!.RuleARN }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'a' }]);
    await xray.send(new DeleteSamplingRuleCommand({ RuleName: 'orders' }));
    await assert.rejects(xray.send(new DeleteSamplingRuleCommand({ RuleName: 'orders' })), InvalidRequestException);
  });

  it('creates groups with validated filter expressions and graphs a group', async () => {
    const now = Date.now() / 1000;
    const created = await xray.send(new CreateGroupCommand({ GroupName: 'faults', FilterExpression: 'fault', Tags: [{ Key: 'k', Value: 'v' }] }));
    assert.match(created.Group!.GroupARN!, new RegExp(`^arn:aws:xray:${p.region}:${p.accountId}:group/faults/[A-Z0-9]{26}$`));
    await assert.rejects(xray.send(new CreateGroupCommand({ GroupName: 'faults' })), InvalidRequestException);
    await assert.rejects(xray.send(new CreateGroupCommand({ GroupName: 'bad', FilterExpression: 'service(' })), InvalidRequestException);
    const groups = await xray.send(new GetGroupsCommand({}));
    assert.deepEqual(groups.Groups!.map((g) => g.GroupName), ['Default', 'faults']);
    assert.equal((await xray.send(new GetGroupCommand({ GroupARN: created.Group!.GroupARN }))).Group!.FilterExpression, 'fault');
    await put(
      { name: 'grp-ok', id: hex(8), trace_id: traceId(), start_time: now - 1, end_time: now },
      { name: 'grp-bad', id: hex(8), trace_id: traceId(), start_time: now - 1, end_time: now, fault: true },
    );
    const g = await xray.send(new GetServiceGraphCommand({ StartTime: new Date((now - 5) * 1000), EndTime: new Date((now + 5) * 1000), GroupName: 'faults' }));
    const names = g.Services!.map((s) => s.Name);
    assert.ok(names.includes('grp-bad') && !names.includes('grp-ok'));
    await xray.send(new TagResourceCommand({ ResourceARN: created.Group!.GroupARN, Tags: [{ Key: 'x', Value: 'y' }] }));
    assert.deepEqual((await xray.send(new ListTagsForResourceCommand({ ResourceARN: created.Group!.GroupARN }))).Tags!.map((t) => t.Key).sort(), ['k', 'x']);
    await xray.send(new DeleteGroupCommand({ GroupName: 'faults' }));
    await assert.rejects(xray.send(new GetGroupCommand({ GroupName: 'faults' })), InvalidRequestException);
    await assert.rejects(xray.send(new ListTagsForResourceCommand({ ResourceARN: created.Group!.GroupARN })), ResourceNotFoundException);
  });

  it('accepts telemetry records', async () => {
    await xray.send(new PutTelemetryRecordsCommand({ TelemetryRecords: [{ Timestamp: new Date(), SegmentsReceivedCount: 4, SegmentsSentCount: 4 }], Hostname: 'h' }));
  });
});
