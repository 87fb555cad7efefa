// DynamoDB: tables, a table's schema and indexes, a query/scan form built from its key schema, and
// item editing as DynamoDB JSON ({"id": {"S": "…"}}) validated before PutItem.
import { useState } from 'preact/hooks';
import { call, type Out } from '../api.js';
import { ErrorBox, Field, href, Loading, Section, Table, parseJsonField, useAction, useLoad } from '../components.js';

export function DynamoPage({ path }: { path: string[] }) {
  return path[0] ? <TableDetail name={path[0]} /> : <TableList />;
}

function TableList() {
  const list = useLoad(() => call('dynamodb', 'ListTables', {}), []);
  return (
    <div>
      <h1>DynamoDB tables</h1>
      <Loading on={list.loading} />
      <ErrorBox error={list.error} />
      {list.data ? <Table label="Tables" columns={['Table']} rows={(list.data.TableNames ?? []).map((n: string) => [<a href={href('dynamodb', n)}>{n}</a>])} empty="No tables. Create one with `aws dynamodb create-table`." /> : null}
    </div>
  );
}

const OPS = ['=', '<', '<=', '>', '>=', 'begins_with'];

function TableDetail({ name }: { name: string }) {
  const desc = useLoad(() => call('dynamodb', 'DescribeTable', { TableName: name }), [name]);
  const table: Out | undefined = desc.data?.Table;
  const [index, setIndex] = useState('');
  const [mode, setMode] = useState<'Query' | 'Scan'>('Query');
  const [pk, setPk] = useState('');
  const [skOp, setSkOp] = useState('=');
  const [sk, setSk] = useState('');
  const [limit, setLimit] = useState('50');
  const [editing, setEditing] = useState<string | null>(null);
  const indexes: Out[] = [...(table?.GlobalSecondaryIndexes ?? []), ...(table?.LocalSecondaryIndexes ?? [])];
  const keySchema: Out[] = index ? (indexes.find((i) => i.IndexName === index)?.KeySchema ?? []) : (table?.KeySchema ?? []);
  const typeOf = (attr: string) => (table?.AttributeDefinitions ?? []).find((a: Out) => a.AttributeName === attr)?.AttributeType ?? 'S';
  const hash = keySchema.find((k) => k.KeyType === 'HASH')?.AttributeName as string | undefined;
  const range = keySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName as string | undefined;
  const run = useAction(async () => {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw { code: 'ValidationError', status: 0, message: 'Limit is 1 to 1000.' };
    const input: Out = { TableName: name, Limit: n, ...(index ? { IndexName: index } : {}) };
    if (mode === 'Query') {
      if (!hash) throw { code: 'ValidationError', status: 0, message: 'The table has no partition key yet.' };
      if (!pk) throw { code: 'ValidationError', status: 0, message: `Enter a value for the partition key ${hash}.` };
      if (typeOf(hash) === 'N' && Number.isNaN(Number(pk))) throw { code: 'ValidationError', status: 0, message: `${hash} is a number.` };
      input.ExpressionAttributeNames = { '#pk': hash };
      input.ExpressionAttributeValues = { ':pk': { [typeOf(hash)]: pk } };
      input.KeyConditionExpression = '#pk = :pk';
      if (range && sk !== '') {
        input.ExpressionAttributeNames['#sk'] = range;
        input.ExpressionAttributeValues[':sk'] = { [typeOf(range)]: sk };
        input.KeyConditionExpression += skOp === 'begins_with' ? ' AND begins_with(#sk, :sk)' : ` AND #sk ${skOp} :sk`;
      }
    }
    return call('dynamodb', mode, input);
  });
  const items: Out[] = (run.result as Out | undefined)?.Items ?? [];
  return (
    <div>
      <p>
        <a href="#/dynamodb">← Tables</a>
      </p>
      <h1>Table {name}</h1>
      <Loading on={desc.loading} />
      <ErrorBox error={desc.error} what={name} />
      {table ? (
        <Section title="Schema">
          <Table label="Key schema" columns={['Attribute', 'Key', 'Type']} rows={(table.KeySchema ?? []).map((k: Out) => [k.AttributeName, k.KeyType === 'HASH' ? 'partition' : 'sort', typeOf(k.AttributeName)])} empty="No key." />
          <Table label="Indexes" columns={['Index', 'Keys', 'Projection']} rows={indexes.map((i) => [i.IndexName, i.KeySchema.map((k: Out) => `${k.AttributeName} (${k.KeyType})`).join(', '), i.Projection?.ProjectionType])} empty="No secondary indexes." />
          <p class="muted">
            {table.ItemCount ?? 0} items · {table.TableStatus} · {table.BillingModeSummary?.BillingMode ?? 'PROVISIONED'}
          </p>
        </Section>
      ) : null}
      {table ? (
        <Section title="Query or scan">
          <form
            aria-label="Query or scan"
            onSubmit={(e) => {
              e.preventDefault();
              void run.run();
            }}
          >
            <fieldset class="inline">
              <legend>Operation</legend>
              <label>
                <input type="radio" name="mode" checked={mode === 'Query'} onChange={() => setMode('Query')} /> Query
              </label>
              <label>
                <input type="radio" name="mode" checked={mode === 'Scan'} onChange={() => setMode('Scan')} /> Scan
              </label>
            </fieldset>
            <div class="field">
              <label for="ddb-index">Index</label>
              <select id="ddb-index" value={index} onChange={(e) => setIndex((e.target as HTMLSelectElement).value)}>
                <option value="">Table ({table.TableName})</option>
                {indexes.map((i) => (
                  <option value={i.IndexName}>{i.IndexName}</option>
                ))}
              </select>
            </div>
            {mode === 'Query' && hash ? <Field label={`${hash} (partition key, ${typeOf(hash)})`} value={pk} onInput={setPk} /> : null}
            {mode === 'Query' && range ? (
              <div class="inline">
                <div class="field">
                  <label for="ddb-op">{range} condition</label>
                  <select id="ddb-op" value={skOp} onChange={(e) => setSkOp((e.target as HTMLSelectElement).value)}>
                    {OPS.map((o) => (
                      <option value={o}>{o}</option>
                    ))}
                  </select>
                </div>
                <Field label={`${range} (sort key, optional)`} value={sk} onInput={setSk} />
              </div>
            ) : null}
            <Field label="Limit" value={limit} onInput={setLimit} />
            <button type="submit" disabled={run.busy}>
              Run {mode.toLowerCase()}
            </button>
          </form>
          <ErrorBox error={run.error} />
          {run.result ? (
            <div>
              <p role="status">
                {items.length} item{items.length === 1 ? '' : 's'} returned{(run.result as Out).LastEvaluatedKey ? ' (more remain: raise the limit or narrow the key)' : ''}.
              </p>
              <Table
                label="Items"
                columns={['Item', '']}
                rows={items.map((item) => [
                  <pre class="body">{JSON.stringify(item)}</pre>,
                  <button type="button" onClick={() => setEditing(JSON.stringify(item, null, 2))}>
                    Edit
                  </button>,
                ])}
                empty="No item matches."
              />
            </div>
          ) : null}
          <p>
            <button type="button" onClick={() => setEditing('{\n  \n}')}>
              New item
            </button>
          </p>
          {editing !== null ? <ItemEditor table={name} keys={(table.KeySchema ?? []).map((k: Out) => k.AttributeName)} initial={editing} onDone={() => setEditing(null)} /> : null}
        </Section>
      ) : null}
    </div>
  );
}

const TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS']);

/** Checks DynamoDB JSON: an object of attribute values, each one typed, with every key attribute. */
export function validateItem(value: unknown, keys: string[]): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'An item is a JSON object of attributes.';
  for (const [name, av] of Object.entries(value)) {
    if (typeof av !== 'object' || av === null || Object.keys(av).length !== 1 || !TYPES.has(Object.keys(av)[0]!)) {
      return `Attribute ${name} must be a typed value such as {"S": "text"} or {"N": "1"}.`;
    }
  }
  for (const k of keys) if (!(k in value)) return `The item needs its key attribute ${k}.`;
  return undefined;
}

function ItemEditor({ table, keys, initial, onDone }: { table: string; keys: string[]; initial: string; onDone: () => void }) {
  const [text, setText] = useState(initial);
  const save = useAction(async () => {
    const parsed = parseJsonField(text);
    if (parsed.error) throw { code: 'ValidationError', status: 0, message: parsed.error };
    const problem = validateItem(parsed.value, keys);
    if (problem) throw { code: 'ValidationError', status: 0, message: problem };
    return call('dynamodb', 'PutItem', { TableName: table, Item: parsed.value });
  });
  return (
    <form
      aria-label="Edit item"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <Field label="Item (DynamoDB JSON)" multiline rows={10} value={text} onInput={setText} />
      <button type="submit" disabled={save.busy}>
        Save item
      </button>{' '}
      <button type="button" onClick={onDone}>
        Close
      </button>
      <ErrorBox error={save.error} />
      {save.result ? <p role="status">Saved.</p> : null}
    </form>
  );
}
