// The service map: every resource the platform holds, grouped by service, with health at a glance and
// the connections the platform knows (load balancer → target group → ECS service, SNS topic →
// subscriptions, event-source mappings → functions), and each function's errors in the last hour. Each group loads on its own, so a service the
// identity may not read shows its AWS error and the others still appear.
import type { ComponentChildren } from 'preact';
import { call, type Out } from '../api.js';
import { ErrorBox, href, Loading, nameFromArn, Section, useLoad } from '../components.js';

function Group({ title, link, load, children }: { title: string; link: string; load: { error: any; loading: boolean; data: any }; children: (d: any) => ComponentChildren }) {
  return (
    <Section title={title} actions={<a href={link}>Open {title}</a>}>
      <Loading on={load.loading && !load.data} />
      <ErrorBox error={load.error} />
      {load.data ? children(load.data) : null}
    </Section>
  );
}

function Health({ ok, text }: { ok: boolean | undefined; text: string }) {
  return <span class={`health ${ok === undefined ? 'unknown' : ok ? 'ok' : 'bad'}`}>{text}</span>;
}

async function queues(): Promise<Out[]> {
  const list = await call('sqs', 'ListQueues', { MaxResults: 100 });
  const urls: string[] = list.QueueUrls ?? [];
  return Promise.all(
    urls.map(async (url) => {
      const a = await call('sqs', 'GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] }).catch(() => ({ Attributes: {} }));
      return { url, ...a.Attributes };
    }),
  );
}

async function ecsServices(): Promise<Out[]> {
  const clusters: string[] = (await call('ecs', 'ListClusters', {})).clusterArns ?? [];
  const out: Out[] = [];
  for (const cluster of clusters) {
    const arns: string[] = (await call('ecs', 'ListServices', { cluster })).serviceArns ?? [];
    if (arns.length === 0) {
      out.push({ cluster, none: true });
      continue;
    }
    for (let i = 0; i < arns.length; i += 10) {
      const d = await call('ecs', 'DescribeServices', { cluster, services: arns.slice(i, i + 10) });
      for (const s of d.services ?? []) out.push({ cluster, ...s });
    }
  }
  return out;
}

async function balancers(): Promise<Out> {
  const lbs = (await call('elbv2', 'DescribeLoadBalancers', {})).LoadBalancers ?? [];
  const tgs = (await call('elbv2', 'DescribeTargetGroups', {})).TargetGroups ?? [];
  const health: Record<string, Out[]> = {};
  await Promise.all(
    tgs.map(async (tg: Out) => {
      health[tg.TargetGroupArn] = (await call('elbv2', 'DescribeTargetHealth', { TargetGroupArn: tg.TargetGroupArn }).catch((): Out => ({}))).TargetHealthDescriptions ?? [];
    }),
  );
  return { lbs, tgs, health };
}

async function functions(): Promise<Out> {
  const fns = (await call('lambda', 'ListFunctions', {})).Functions ?? [];
  const mappings = (await call('lambda', 'ListEventSourceMappings', {}).catch((): Out => ({}))).EventSourceMappings ?? [];
  // Errors in the last hour per function, from the AWS/Lambda metrics the platform publishes.
  const names: string[] = fns.slice(0, 100).map((f: Out) => f.FunctionName);
  const errors: Record<string, number> = {};
  if (names.length > 0) {
    const end = Date.now();
    const out = await call('cloudwatch', 'GetMetricData', {
      StartTime: new Date(end - 3600_000).toISOString(),
      EndTime: new Date(end).toISOString(),
      MetricDataQueries: names.map((n, i) => ({ Id: `e${i}`, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: n }] }, Period: 300, Stat: 'Sum' } })),
    }).catch((): Out => ({}));
    for (const r of out.MetricDataResults ?? []) {
      const name = names[Number(String(r.Id).slice(1))];
      if (name !== undefined) errors[name] = (r.Values ?? []).reduce((a: number, b: number) => a + b, 0);
    }
  }
  return { fns, mappings, errors };
}

async function topics(): Promise<Out> {
  const list = (await call('sns', 'ListTopics', {})).Topics ?? [];
  const subs = (await call('sns', 'ListSubscriptions', {}).catch((): Out => ({}))).Subscriptions ?? [];
  return { list, subs };
}

export function HomePage() {
  const q = useLoad(queues, []);
  const e = useLoad(ecsServices, []);
  const l = useLoad(balancers, []);
  const f = useLoad(functions, []);
  const t = useLoad(topics, []);
  const b = useLoad(() => call('s3', 'ListBuckets', {}), []);
  const d = useLoad(() => call('dynamodb', 'ListTables', {}), []);
  const serviceByTg = new Map<string, string>();
  for (const s of e.data ?? []) for (const lb of s.loadBalancers ?? []) if (lb.targetGroupArn) serviceByTg.set(lb.targetGroupArn, s.serviceName);
  return (
    <div class="home">
      <h1>Service map</h1>
      <div class="grid">
        <Group title="ECS" link="#/ecs" load={e}>
          {(rows: Out[]) =>
            rows.length === 0 ? (
              <p class="empty">No clusters. Create one with `aws ecs create-cluster`.</p>
            ) : (
              <ul class="resources">
                {rows.map((s) =>
                  s.none ? (
                    <li>{nameFromArn(s.cluster)}: no services</li>
                  ) : (
                    <li>
                      <a href={href('ecs', nameFromArn(s.cluster), s.serviceName)}>{s.serviceName}</a> <span class="muted">({nameFromArn(s.cluster)})</span>{' '}
                      <Health ok={s.runningCount === s.desiredCount} text={`${s.runningCount}/${s.desiredCount} running`} />
                    </li>
                  ),
                )}
              </ul>
            )
          }
        </Group>
        <Group title="SQS" link="#/sqs" load={q}>
          {(rows: Out[]) =>
            rows.length === 0 ? (
              <p class="empty">No queues. Create one on the SQS page.</p>
            ) : (
              <ul class="resources">
                {rows.map((r) => (
                  <li>
                    <a href={href('sqs', r.url)}>{r.url.split('/').pop()}</a>{' '}
                    <Health ok={Number(r.ApproximateNumberOfMessages ?? 0) < 1000} text={`${r.ApproximateNumberOfMessages ?? '?'} visible · ${r.ApproximateNumberOfMessagesNotVisible ?? '?'} in flight`} />
                    {r.RedrivePolicy ? <span class="edge"> → DLQ {nameFromArn(JSON.parse(r.RedrivePolicy).deadLetterTargetArn)}</span> : null}
                  </li>
                ))}
              </ul>
            )
          }
        </Group>
        <Group title="Load balancers" link="#/elb" load={l}>
          {(data: Out) =>
            data.lbs.length === 0 ? (
              <p class="empty">No load balancers.</p>
            ) : (
              <ul class="resources">
                {data.lbs.map((lb: Out) => (
                  <li>
                    {lb.LoadBalancerName} <span class="muted">{lb.DNSName}</span>
                    <ul>
                      {data.tgs
                        .filter((tg: Out) => (tg.LoadBalancerArns ?? []).includes(lb.LoadBalancerArn))
                        .map((tg: Out) => {
                          const h: Out[] = data.health[tg.TargetGroupArn] ?? [];
                          const healthy = h.filter((x) => x.TargetHealth?.State === 'healthy').length;
                          return (
                            <li>
                              <span class="edge">→ target group {tg.TargetGroupName}</span> <Health ok={h.length > 0 && healthy === h.length} text={`${healthy}/${h.length} healthy`} />
                              {serviceByTg.has(tg.TargetGroupArn) ? <span class="edge"> → ECS service {serviceByTg.get(tg.TargetGroupArn)}</span> : null}
                            </li>
                          );
                        })}
                    </ul>
                  </li>
                ))}
              </ul>
            )
          }
        </Group>
        <Group title="Lambda" link="#/lambda" load={f}>
          {(data: Out) =>
            data.fns.length === 0 ? (
              <p class="empty">No functions.</p>
            ) : (
              <ul class="resources">
                {data.fns.map((fn: Out) => (
                  <li>
                    <a href={href('lambda', fn.FunctionName)}>{fn.FunctionName}</a> <span class="muted">{fn.Runtime}</span> <Health ok={fn.State === undefined || fn.State === 'Active'} text={fn.State ?? 'Active'} />
                    {data.errors[fn.FunctionName] !== undefined ? <Health ok={data.errors[fn.FunctionName] === 0} text={`${data.errors[fn.FunctionName]} errors (1 h)`} /> : null}
                    {data.mappings
                      .filter((m: Out) => m.FunctionArn === fn.FunctionArn)
                      .map((m: Out) => (
                        <span class="edge">
                          {' '}
                          ← {nameFromArn(m.EventSourceArn)} ({m.State})
                        </span>
                      ))}
                  </li>
                ))}
              </ul>
            )
          }
        </Group>
        <Group title="SNS" link="#/sns" load={t}>
          {(data: Out) =>
            data.list.length === 0 ? (
              <p class="empty">No topics.</p>
            ) : (
              <ul class="resources">
                {data.list.map((topic: Out) => (
                  <li>
                    {nameFromArn(topic.TopicArn)}
                    {data.subs
                      .filter((s: Out) => s.TopicArn === topic.TopicArn)
                      .map((s: Out) => (
                        <span class="edge">
                          {' '}
                          → {s.Protocol}: {nameFromArn(s.Endpoint)}
                        </span>
                      ))}
                  </li>
                ))}
              </ul>
            )
          }
        </Group>
        <Group title="S3" link="#/s3" load={b}>
          {(data: Out) =>
            (data.Buckets ?? []).length === 0 ? (
              <p class="empty">No buckets.</p>
            ) : (
              <ul class="resources">
                {data.Buckets.map((bucket: Out) => (
                  <li>
                    <a href={href('s3', bucket.Name)}>{bucket.Name}</a>
                  </li>
                ))}
              </ul>
            )
          }
        </Group>
        <Group title="DynamoDB" link="#/dynamodb" load={d}>
          {(data: Out) =>
            (data.TableNames ?? []).length === 0 ? (
              <p class="empty">No tables.</p>
            ) : (
              <ul class="resources">
                {data.TableNames.map((name: string) => (
                  <li>
                    <a href={href('dynamodb', name)}>{name}</a>
                  </li>
                ))}
              </ul>
            )
          }
        </Group>
      </div>
    </div>
  );
}
