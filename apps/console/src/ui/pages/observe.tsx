// Observability: a metric chart (CloudWatch ListMetrics + GetMetricData, drawn with uPlot) and log
// search with a live tail (CloudWatch Logs FilterLogEvents, repeated over the live-update stream).
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { call, watch, type AwsError, type LiveState, type Out } from '../api.js';
import { ErrorBox, Field, Loading, Section, useAction, useLoad } from '../components.js';

export function ObservePage() {
  return (
    <div>
      <h1>Metrics and logs</h1>
      <Metrics />
      <Logs />
    </div>
  );
}

function metricId(m: Out): string {
  return `${m.Namespace} ${m.MetricName} ${(m.Dimensions ?? []).map((d: Out) => `${d.Name}=${d.Value}`).join(',')}`;
}

function Metrics() {
  const list = useLoad(() => call('cloudwatch', 'ListMetrics', {}), []);
  const metrics: Out[] = list.data?.Metrics ?? [];
  const [chosen, setChosen] = useState('');
  const chart = useRef<HTMLDivElement>(null);
  const data = useAction(async (id: string) => {
    const m = metrics.find((x) => metricId(x) === id);
    if (!m) throw { code: 'ValidationError', status: 0, message: 'Choose a metric.' };
    const end = Date.now();
    return call('cloudwatch', 'GetMetricData', {
      StartTime: new Date(end - 3600_000).toISOString(),
      EndTime: new Date(end).toISOString(),
      MetricDataQueries: [{ Id: 'm0', MetricStat: { Metric: { Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions }, Period: 60, Stat: 'Sum' } }],
    });
  });
  useEffect(() => {
    const r = (data.result as Out | undefined)?.MetricDataResults?.[0];
    if (!r || !chart.current) return;
    const points = (r.Timestamps as string[]).map((t, i) => [Date.parse(t) / 1000, r.Values[i] as number]).sort((a, b) => a[0]! - b[0]!);
    chart.current.textContent = '';
    if (points.length === 0) {
      chart.current.textContent = 'No data points in the last hour.';
      return;
    }
    // The x axis spans the hour asked for, whatever the points: one point alone would stretch it to years.
    const end = Date.now() / 1000;
    const plot = new uPlot(
      {
        width: Math.min(chart.current.clientWidth || 700, 900),
        height: 260,
        scales: { x: { time: true, range: [end - 3600, end] } },
        series: [{}, { label: `${chosen} (Sum)`, stroke: '#1f6feb', points: { show: true } }],
      },
      [points.map((p) => p[0]), points.map((p) => p[1])],
      chart.current,
    );
    return () => plot.destroy();
  }, [data.result]);
  return (
    <Section title="Metrics (last hour, 1-minute sums)">
      <Loading on={list.loading} />
      <ErrorBox error={list.error} />
      {list.data && metrics.length === 0 ? <p class="empty">No metrics yet: they appear once a service publishes them (PutMetricData or the platform's own).</p> : null}
      {metrics.length ? (
        <form
          class="inline"
          aria-label="Chart metric"
          onSubmit={(e) => {
            e.preventDefault();
            void data.run(chosen);
          }}
        >
          <div class="field">
            <label for="metric">Metric</label>
            <select id="metric" value={chosen} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
              <option value="">Choose…</option>
              {metrics.map((m) => (
                <option value={metricId(m)}>{metricId(m)}</option>
              ))}
            </select>
          </div>
          <button type="submit">Chart</button>
        </form>
      ) : null}
      <ErrorBox error={data.error} />
      <div ref={chart} class="chart" />
    </Section>
  );
}

function Logs() {
  const groups = useLoad(() => call('logs', 'DescribeLogGroups', {}), []);
  const [group, setGroup] = useState('');
  const [pattern, setPattern] = useState('');
  const [tail, setTail] = useState(false);
  const [lines, setLines] = useState<Out[]>([]);
  const [error, setError] = useState<AwsError | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  const search = useAction(async () => {
    if (!group) throw { code: 'ValidationError', status: 0, message: 'Choose a log group.' };
    const out = await call('logs', 'FilterLogEvents', { logGroupName: group, limit: 200, startTime: Date.now() - 3600_000, ...(pattern ? { filterPattern: pattern } : {}) });
    setLines(out.events ?? []);
    return out;
  });
  useEffect(() => {
    if (!tail || !group) return;
    const since = Date.now() - 5 * 60_000;
    return watch(
      [{ id: 'tail', service: 'logs', operation: 'FilterLogEvents', input: { logGroupName: group, startTime: since, limit: 200, ...(pattern ? { filterPattern: pattern } : {}) } }],
      (_id, out, err) => {
        if (out) setLines(out.events ?? []);
        setError(err ?? null);
      },
      setLive,
    );
  }, [tail, group, pattern]);
  return (
    <Section title="Log search">
      <ErrorBox error={groups.error} />
      <form
        class="inline"
        aria-label="Search logs"
        onSubmit={(e) => {
          e.preventDefault();
          void search.run();
        }}
      >
        <div class="field">
          <label for="log-group">Log group</label>
          <select id="log-group" value={group} onChange={(e) => setGroup((e.target as HTMLSelectElement).value)}>
            <option value="">Choose…</option>
            {(groups.data?.logGroups ?? []).map((g: Out) => (
              <option value={g.logGroupName}>{g.logGroupName}</option>
            ))}
          </select>
        </div>
        <Field label="Filter pattern" value={pattern} onInput={setPattern} />
        <button type="submit">Search last hour</button>
        <label>
          <input type="checkbox" checked={tail} onChange={(e) => setTail((e.target as HTMLInputElement).checked)} /> Live tail (last 5 minutes){tail ? ` · ${live}` : ''}
        </label>
      </form>
      <ErrorBox error={search.error ?? error} />
      <pre class="log">{lines.map((e) => `${new Date(e.timestamp).toISOString()} ${e.logStreamName} ${e.message}`).join('\n') || 'No log lines.'}</pre>
    </Section>
  );
}
