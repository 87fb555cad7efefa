// S3: buckets, then a bucket's prefixes and objects (delimiter "/"), upload and download, an object's
// metadata and versions, and a presigned GET link.
import { useState } from 'preact/hooks';
import { call, downloadUrl, presign, upload, type Out } from '../api.js';
import { ErrorBox, Field, href, Loading, Section, Table, useAction, useLoad } from '../components.js';

export function S3Page({ path }: { path: string[] }) {
  const [bucket, ...rest] = path;
  if (!bucket) return <BucketList />;
  const key = rest.join('/');
  if (key && !key.endsWith('/')) return <ObjectDetail bucket={bucket} objectKey={key} />;
  return <Browse bucket={bucket} prefix={key} />;
}

function BucketList() {
  const list = useLoad(() => call('s3', 'ListBuckets', {}), []);
  const [name, setName] = useState('');
  const create = useAction(async () => {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) throw { code: 'InvalidBucketName', status: 0, message: 'A bucket name has 3 to 63 lowercase letters, digits, dots or hyphens.' };
    await call('s3', 'CreateBucket', { Bucket: name });
    setName('');
    list.reload();
  });
  return (
    <div>
      <h1>S3 buckets</h1>
      <form
        class="inline"
        aria-label="Create bucket"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <Field label="New bucket name" value={name} onInput={setName} />
        <button type="submit" disabled={create.busy}>
          Create bucket
        </button>
      </form>
      <ErrorBox error={create.error} />
      <Loading on={list.loading} />
      <ErrorBox error={list.error} />
      {list.data ? <Table label="Buckets" columns={['Bucket', 'Created']} rows={(list.data.Buckets ?? []).map((b: Out) => [<a href={href('s3', b.Name)}>{b.Name}</a>, b.CreationDate])} empty="No buckets yet." /> : null}
    </div>
  );
}

function Browse({ bucket, prefix }: { bucket: string; prefix: string }) {
  const list = useLoad(() => call('s3', 'ListObjectsV2', { Bucket: bucket, Prefix: prefix, Delimiter: '/', MaxKeys: 1000 }), [bucket, prefix]);
  const [file, setFile] = useState<File | null>(null);
  const send = useAction(async () => {
    if (!file) throw { code: 'ValidationError', status: 0, message: 'Choose a file to upload.' };
    const out = await upload(bucket, prefix + file.name, file);
    list.reload();
    return out;
  });
  const crumbs = prefix.split('/').filter(Boolean);
  const dirs: Out[] = list.data?.CommonPrefixes ?? [];
  const objects: Out[] = list.data?.Contents ?? [];
  return (
    <div>
      <p>
        <a href="#/s3">← Buckets</a>
      </p>
      <h1>
        <a href={href('s3', bucket)}>{bucket}</a>
        {crumbs.map((c, i) => (
          <span>
            {' / '}
            <a href={`#/s3/${encodeURIComponent(bucket)}/${crumbs.slice(0, i + 1).map(encodeURIComponent).join('/')}/`}>{c}</a>
          </span>
        ))}
      </h1>
      <Section title="Upload">
        <form
          class="inline"
          aria-label="Upload object"
          onSubmit={(e) => {
            e.preventDefault();
            void send.run();
          }}
        >
          <div class="field">
            <label for="upload-file">File (uploaded under {prefix || 'the bucket root'})</label>
            <input id="upload-file" type="file" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
          </div>
          <button type="submit" disabled={send.busy}>
            Upload
          </button>
        </form>
        <ErrorBox error={send.error} />
        {send.result ? <p role="status">Uploaded (ETag {(send.result as Out).ETag}).</p> : null}
      </Section>
      <Loading on={list.loading} />
      <ErrorBox error={list.error} what={bucket} />
      {list.data ? (
        <Table
          label="Objects"
          columns={['Name', 'Size', 'Last modified', '']}
          rows={[
            ...dirs.map((d) => [<a href={`#/s3/${encodeURIComponent(bucket)}/${d.Prefix.split('/').map(encodeURIComponent).join('/')}`}>{d.Prefix.slice(prefix.length)}</a>, 'folder', '', '']),
            ...objects.map((o) => [
              <a href={`#/s3/${encodeURIComponent(bucket)}/${o.Key.split('/').map(encodeURIComponent).join('/')}`}>{o.Key.slice(prefix.length)}</a>,
              String(o.Size),
              o.LastModified,
              <a href={downloadUrl(bucket, o.Key)} download>
                Download {o.Key.slice(prefix.length)}
              </a>,
            ]),
          ]}
          empty={prefix ? 'This folder is empty.' : 'This bucket is empty. Upload a file above.'}
        />
      ) : null}
    </div>
  );
}

function ObjectDetail({ bucket, objectKey }: { bucket: string; objectKey: string }) {
  const head = useLoad(() => call('s3', 'HeadObject', { Bucket: bucket, Key: objectKey }), [bucket, objectKey]);
  const versions = useLoad(() => call('s3', 'ListObjectVersions', { Bucket: bucket, Prefix: objectKey }), [bucket, objectKey]);
  const [expires, setExpires] = useState('900');
  const link = useAction(async () => {
    const n = Number(expires);
    if (!Number.isInteger(n) || n < 1 || n > 604800) throw { code: 'ValidationError', status: 0, message: 'Expiry is 1 to 604800 seconds.' };
    return { url: await presign(bucket, objectKey, n) };
  });
  const parent = objectKey.includes('/') ? objectKey.slice(0, objectKey.lastIndexOf('/') + 1) : '';
  const rows: Out[] = (versions.data?.Versions ?? []).filter((v: Out) => v.Key === objectKey);
  return (
    <div>
      <p>
        <a href={`#/s3/${encodeURIComponent(bucket)}/${parent.split('/').map(encodeURIComponent).join('/')}`}>← {bucket}/{parent}</a>
      </p>
      <h1>{objectKey}</h1>
      <p>
        <a href={downloadUrl(bucket, objectKey)} download>
          Download
        </a>
      </p>
      <Section title="Metadata">
        <Loading on={head.loading} />
        <ErrorBox error={head.error} what={objectKey} />
        {head.data ? (
          <Table
            label="Object metadata"
            columns={['Field', 'Value']}
            rows={Object.entries(head.data)
              .filter(([k]) => k !== 'Metadata')
              .concat(Object.entries(head.data.Metadata ?? {}).map(([k, v]) => [`x-amz-meta-${k}`, v]))
              .map(([k, v]) => [k, <code>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</code>])}
            empty="No metadata."
          />
        ) : null}
      </Section>
      <Section title="Versions">
        <ErrorBox error={versions.error} />
        {versions.data ? <Table label="Versions" columns={['Version', 'Latest', 'Size', 'Modified', '']} rows={rows.map((v) => [<code>{v.VersionId}</code>, v.IsLatest ? 'yes' : '', String(v.Size), v.LastModified, <a href={downloadUrl(bucket, objectKey, v.VersionId)}>Download this version</a>])} empty="Versioning is off for this bucket: only the current object exists." /> : null}
      </Section>
      <Section title="Presigned link">
        <form
          class="inline"
          aria-label="Presign"
          onSubmit={(e) => {
            e.preventDefault();
            void link.run();
          }}
        >
          <Field label="Expires in (seconds)" value={expires} onInput={setExpires} />
          <button type="submit">Create link</button>
        </form>
        <ErrorBox error={link.error} />
        {link.result ? (
          <p>
            <input aria-label="Presigned URL" readOnly value={(link.result as Out).url} class="wide" />
          </p>
        ) : null}
      </Section>
    </div>
  );
}
