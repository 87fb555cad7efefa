// ECS: clusters and their services; a service's counts (live), deployments, events, tasks and a
// scale form (UpdateService desiredCount).
import { useEffect, useState } from 'preact/hooks';
import { call, watch, type AwsError, type LiveState, type Out } from '../api.js';
import { ErrorBox, Field, href, Loading, nameFromArn, Section, Table, useAction, useLoad } from '../components.js';

export function EcsPage({ path }: { path: string[] }) {
  return path[0] && path[1] ? <ServiceDetail cluster={path[0]} service={path[1]} /> : <Clusters />;
}

async function clusterServices(): Promise<Out[]> {
  const arns: string[] = (await call('ecs', 'ListClusters', {})).clusterArns ?? [];
  const clusters: Out[] = arns.length ? ((await call('ecs', 'DescribeClusters', { clusters: arns })).clusters ?? []) : [];
  for (const c of clusters) {
    const services: string[] = (await call('ecs', 'ListServices', { cluster: c.clusterArn })).serviceArns ?? [];
    c.services = services.length ? ((await call('ecs', 'DescribeServices', { cluster: c.clusterArn, services: services.slice(0, 10) })).services ?? []) : [];
  }
  return clusters;
}

function Clusters() {
  const list = useLoad(clusterServices, []);
  return (
    <div>
      <h1>ECS clusters</h1>
      <Loading on={list.loading} />
      <ErrorBox error={list.error} />
      {list.data && list.data.length === 0 ? <p class="empty">No clusters. Create one with `aws ecs create-cluster`.</p> : null}
      {(list.data ?? []).map((c) => (
        <Section title={`Cluster ${c.clusterName}`}>
          <p class="muted">
            {c.runningTasksCount} running tasks · {c.pendingTasksCount} pending · {c.status}
          </p>
          <Table
            label={`Services of ${c.clusterName}`}
            columns={['Service', 'Running / desired', 'Pending', 'Task definition']}
            rows={c.services.map((s: Out) => [<a href={href('ecs', c.clusterName, s.serviceName)}>{s.serviceName}</a>, `${s.runningCount} / ${s.desiredCount}`, String(s.pendingCount), nameFromArn(s.taskDefinition)])}
            empty="No services in this cluster."
          />
        </Section>
      ))}
    </div>
  );
}

function ServiceDetail({ cluster, service }: { cluster: string; service: string }) {
  const [svc, setSvc] = useState<Out | undefined>(undefined);
  const [tasks, setTasks] = useState<string[]>([]);
  const [error, setError] = useState<AwsError | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  useEffect(
    () =>
      watch(
        [
          { id: 'svc', service: 'ecs', operation: 'DescribeServices', input: { cluster, services: [service] } },
          { id: 'tasks', service: 'ecs', operation: 'ListTasks', input: { cluster, serviceName: service } },
        ],
        (id, output, err) => {
          if (id === 'svc') {
            const found = output?.services?.[0];
            setSvc(found);
            setError(err ?? (output && !found ? { code: 'ServiceNotFoundException', status: 400, message: `Service ${service} was not found in cluster ${cluster}.` } : null));
          } else if (output) setTasks(output.taskArns ?? []);
        },
        setLive,
      ),
    [cluster, service],
  );
  const taskDetails = useLoad(async () => (tasks.length ? ((await call('ecs', 'DescribeTasks', { cluster, tasks })).tasks ?? []) : []), [tasks.join(',')]);
  const [desired, setDesired] = useState('');
  const scale = useAction(async () => {
    const n = Number(desired);
    if (!Number.isInteger(n) || n < 0 || n > 1000) throw { code: 'ValidationError', status: 0, message: 'Desired count is a whole number from 0 to 1000.' };
    return call('ecs', 'UpdateService', { cluster, service, desiredCount: n });
  });
  return (
    <div>
      <p>
        <a href="#/ecs">← Clusters</a>
      </p>
      <h1>
        Service {service} <span class="muted">in {cluster}</span>
      </h1>
      <p class="muted">
        live: <span class={`live ${live}`}>{live}</span>
      </p>
      <ErrorBox error={error} what={service} />
      {svc ? (
        <div>
          <p class="figures">
            <span>
              <b data-testid="running">{svc.runningCount}</b> running
            </span>
            <span>
              <b data-testid="desired">{svc.desiredCount}</b> desired
            </span>
            <span>
              <b>{svc.pendingCount}</b> pending
            </span>
          </p>
          <Section title="Scale">
            <form
              class="inline"
              aria-label="Scale service"
              onSubmit={(e) => {
                e.preventDefault();
                void scale.run();
              }}
            >
              <Field label="Desired count" value={desired} onInput={setDesired} />
              <button type="submit" disabled={scale.busy}>
                Update desired count
              </button>
            </form>
            <ErrorBox error={scale.error} />
            {scale.result ? <p role="status">Desired count set to {(scale.result as Out).service?.desiredCount}.</p> : null}
          </Section>
          <Section title="Deployments">
            <Table label="Deployments" columns={['Status', 'Task definition', 'Running / desired', 'Rollout']} rows={(svc.deployments ?? []).map((d: Out) => [d.status, nameFromArn(d.taskDefinition), `${d.runningCount} / ${d.desiredCount}`, d.rolloutState ?? ''])} empty="No deployments." />
          </Section>
          <Section title="Tasks">
            <ErrorBox error={taskDetails.error} />
            <Table label="Tasks" columns={['Task', 'Last status', 'Desired status', 'Started']} rows={(taskDetails.data ?? []).map((t: Out) => [nameFromArn(t.taskArn), t.lastStatus, t.desiredStatus, t.startedAt ?? ''])} empty="No tasks running." />
          </Section>
          <Section title="Events">
            <Table label="Service events" columns={['Time', 'Message']} rows={(svc.events ?? []).slice(0, 20).map((e: Out) => [e.createdAt, e.message])} empty="No events yet." />
          </Section>
        </div>
      ) : (
        <Loading on={!error} />
      )}
    </div>
  );
}
