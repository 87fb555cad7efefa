// The CloudTrail audit trail: LookupEvents with an attribute filter and a time window; each event's
// full record on demand.
import { useState } from 'preact/hooks';
import { call, type Out } from '../api.js';
import { ErrorBox, Field, Json, Table, useAction } from '../components.js';

const KEYS = ['EventName', 'Username', 'EventSource', 'ResourceName', 'ResourceType', 'ReadOnly', 'AccessKeyId', 'EventId'];

export function TrailPage() {
  const [key, setKey] = useState('EventName');
  const [value, setValue] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [open, setOpen] = useState<string | null>(null);
  const search = useAction(async () => {
    const m = Number(minutes);
    if (!Number.isFinite(m) || m <= 0) throw { code: 'ValidationError', status: 0, message: 'The window is a positive number of minutes.' };
    return call('cloudtrail', 'LookupEvents', {
      StartTime: new Date(Date.now() - m * 60_000).toISOString(),
      EndTime: new Date().toISOString(),
      MaxResults: 50,
      ...(value ? { LookupAttributes: [{ AttributeKey: key, AttributeValue: value }] } : {}),
    });
  });
  const events: Out[] = (search.result as Out | undefined)?.Events ?? [];
  return (
    <div>
      <h1>CloudTrail audit trail</h1>
      <form
        class="inline"
        aria-label="Filter events"
        onSubmit={(e) => {
          e.preventDefault();
          void search.run();
        }}
      >
        <div class="field">
          <label for="trail-key">Attribute</label>
          <select id="trail-key" value={key} onChange={(e) => setKey((e.target as HTMLSelectElement).value)}>
            {KEYS.map((k) => (
              <option value={k}>{k}</option>
            ))}
          </select>
        </div>
        <Field label="Value (empty: all events)" value={value} onInput={setValue} />
        <Field label="Last minutes" value={minutes} onInput={setMinutes} />
        <button type="submit" disabled={search.busy}>
          Look up events
        </button>
      </form>
      <ErrorBox error={search.error} />
      {search.result ? (
        <Table
          label="Events"
          columns={['Time', 'Event', 'Source', 'User', '']}
          rows={events.map((e) => [
            e.EventTime,
            e.EventName,
            e.EventSource,
            e.Username ?? '',
            open === e.EventId ? (
              <Json value={JSON.parse(e.CloudTrailEvent ?? '{}')} />
            ) : (
              <button type="button" onClick={() => setOpen(e.EventId)}>
                Show record
              </button>
            ),
          ])}
          empty="No event matches this filter in the window."
        />
      ) : (
        <p class="empty">Choose a filter and look up events.</p>
      )}
    </div>
  );
}
