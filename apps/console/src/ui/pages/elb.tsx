// Load balancers: each one's listeners and rules, and the targets of its target groups with health.
import { call, type Out } from '../api.js';
import { ErrorBox, Loading, Section, Table, useLoad } from '../components.js';

async function load(): Promise<Out[]> {
  const lbs: Out[] = (await call('elbv2', 'DescribeLoadBalancers', {})).LoadBalancers ?? [];
  for (const lb of lbs) {
    lb.listeners = (await call('elbv2', 'DescribeListeners', { LoadBalancerArn: lb.LoadBalancerArn })).Listeners ?? [];
    for (const l of lb.listeners) l.rules = (await call('elbv2', 'DescribeRules', { ListenerArn: l.ListenerArn }).catch((): Out => ({}))).Rules ?? [];
    lb.groups = (await call('elbv2', 'DescribeTargetGroups', { LoadBalancerArn: lb.LoadBalancerArn })).TargetGroups ?? [];
    for (const g of lb.groups) g.health = (await call('elbv2', 'DescribeTargetHealth', { TargetGroupArn: g.TargetGroupArn }).catch((): Out => ({}))).TargetHealthDescriptions ?? [];
  }
  return lbs;
}

const describeAction = (a: Out) => (a.Type === 'forward' ? `forward → ${(a.TargetGroupArn ?? a.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn ?? '').split('/')[1] ?? ''}` : a.Type);

export function ElbPage() {
  const data = useLoad(load, []);
  return (
    <div>
      <h1>Load balancers</h1>
      <Loading on={data.loading} />
      <ErrorBox error={data.error} />
      {data.data && data.data.length === 0 ? <p class="empty">No load balancers. Create one with `aws elbv2 create-load-balancer`.</p> : null}
      {(data.data ?? []).map((lb) => (
        <Section title={`${lb.LoadBalancerName} (${lb.Type})`}>
          <p class="muted">
            {lb.DNSName} · {lb.State?.Code}
          </p>
          <Table
            label={`Listeners of ${lb.LoadBalancerName}`}
            columns={['Listener', 'Rules']}
            rows={lb.listeners.map((l: Out) => [
              `${l.Protocol}:${l.Port}`,
              <ul>
                {l.rules.map((r: Out) => (
                  <li>
                    {r.Priority}: {(r.Conditions ?? []).map((c: Out) => `${c.Field} ${(c.Values ?? c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values ?? []).join(',')}`).join(' and ') || 'default'} → {(r.Actions ?? []).map(describeAction).join(', ')}
                  </li>
                ))}
              </ul>,
            ])}
            empty="No listeners."
          />
          {lb.groups.map((g: Out) => (
            <Table
              label={`Targets of ${g.TargetGroupName}`}
              columns={[`Target group ${g.TargetGroupName}`, 'Port', 'Health', 'Reason']}
              rows={g.health.map((h: Out) => [h.Target?.Id, String(h.Target?.Port ?? ''), <span class={`health ${h.TargetHealth?.State === 'healthy' ? 'ok' : 'bad'}`}>{h.TargetHealth?.State}</span>, h.TargetHealth?.Description ?? ''])}
              empty={`Target group ${g.TargetGroupName} has no registered targets.`}
            />
          ))}
        </Section>
      ))}
    </div>
  );
}
