// IAM users and access keys: create a user, create a key (its secret is shown once, here, and never
// again), deactivate or reactivate a key.
import { useState } from 'preact/hooks';
import { call, type Out } from '../api.js';
import { ErrorBox, Field, Loading, Section, Table, useAction, useLoad } from '../components.js';

export function IamPage() {
  const users = useLoad(() => call('iam', 'ListUsers', {}), []);
  const [name, setName] = useState('');
  const create = useAction(async () => {
    if (!/^[\w+=,.@-]{1,64}$/.test(name)) throw { code: 'ValidationError', status: 0, message: 'A user name has 1 to 64 letters, digits or +=,.@_- characters.' };
    await call('iam', 'CreateUser', { UserName: name });
    setName('');
    users.reload();
  });
  return (
    <div>
      <h1>IAM users</h1>
      <form
        class="inline"
        aria-label="Create user"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <Field label="New user name" value={name} onInput={setName} />
        <button type="submit" disabled={create.busy}>
          Create user
        </button>
      </form>
      <ErrorBox error={create.error} />
      <Loading on={users.loading} />
      <ErrorBox error={users.error} />
      {users.data && (users.data.Users ?? []).length === 0 ? <p class="empty">No IAM users yet.</p> : null}
      {(users.data?.Users ?? []).map((u: Out) => (
        <UserKeys user={u.UserName} arn={u.Arn} />
      ))}
    </div>
  );
}

function UserKeys({ user, arn }: { user: string; arn: string }) {
  const keys = useLoad(() => call('iam', 'ListAccessKeys', { UserName: user }), [user]);
  const create = useAction(async () => {
    const out = await call('iam', 'CreateAccessKey', { UserName: user });
    keys.reload();
    return out;
  });
  const update = useAction(async (id: string, status: string) => {
    await call('iam', 'UpdateAccessKey', { UserName: user, AccessKeyId: id, Status: status });
    keys.reload();
  });
  const created = (create.result as Out | undefined)?.AccessKey;
  return (
    <Section
      title={`User ${user}`}
      actions={
        <button type="button" onClick={() => void create.run()} disabled={create.busy}>
          Create access key for {user}
        </button>
      }
    >
      <p class="muted">{arn}</p>
      <ErrorBox error={create.error ?? update.error ?? keys.error} />
      {created ? (
        <div class="secret" role="status">
          <p>
            <strong>New key {created.AccessKeyId}.</strong> Copy the secret now: it is shown this once and never again.
          </p>
          <input aria-label="New secret access key" readOnly value={created.SecretAccessKey} class="wide" />
        </div>
      ) : null}
      {keys.data ? (
        <Table
          label={`Access keys of ${user}`}
          columns={['Access key', 'Status', 'Created', '']}
          rows={(keys.data.AccessKeyMetadata ?? []).map((k: Out) => [
            <code>{k.AccessKeyId}</code>,
            k.Status,
            k.CreateDate,
            <button type="button" onClick={() => void update.run(k.AccessKeyId, k.Status === 'Active' ? 'Inactive' : 'Active')}>
              {k.Status === 'Active' ? 'Deactivate' : 'Activate'} {k.AccessKeyId}
            </button>,
          ])}
          empty="No access keys."
        />
      ) : null}
    </Section>
  );
}
