// The console's shell: sign-in, navigation and the hash router (#/sqs/<queue url> …).
import { render } from 'preact';
import './styles.css';
import { useEffect, useState } from 'preact/hooks';
import { loadSession, session, signIn, signOut, type AwsError } from './api.js';
import { ErrorBox, Field } from './components.js';
import { HomePage } from './pages/home.js';
import { SqsPage } from './pages/sqs.js';
import { SnsPage } from './pages/sns.js';
import { S3Page } from './pages/s3.js';
import { DynamoPage } from './pages/dynamodb.js';
import { LambdaPage } from './pages/lambda.js';
import { EcsPage } from './pages/ecs.js';
import { ElbPage } from './pages/elb.js';
import { IamPage } from './pages/iam.js';
import { TrailPage } from './pages/trail.js';
import { ObservePage } from './pages/observe.js';

const NAV: [string, string][] = [
  ['', 'Service map'],
  ['sqs', 'SQS'],
  ['sns', 'SNS'],
  ['s3', 'S3'],
  ['dynamodb', 'DynamoDB'],
  ['lambda', 'Lambda'],
  ['ecs', 'ECS'],
  ['elb', 'Load balancers'],
  ['iam', 'IAM'],
  ['trail', 'CloudTrail'],
  ['observe', 'Metrics & logs'],
];

function useRoute(): string[] {
  const read = () =>
    location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function SignIn() {
  const [keyId, setKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<AwsError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!keyId.trim() || !secret.trim()) {
      setError({ code: 'ValidationError', status: 0, message: 'Enter both the access key ID and the secret access key.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(keyId, secret);
      setSecret('');
    } catch (err) {
      setError(err as AwsError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Atoll console</h1>
      <p>Sign in with an access key pair: the root key (`npx atoll env` prints it) or an IAM user's key. The secret stays on the server for this session.</p>
      <form onSubmit={submit} aria-label="Sign in">
        <Field label="Access key ID" name="accessKeyId" value={keyId} onInput={setKeyId} required />
        <Field label="Secret access key" name="secretAccessKey" type="password" value={secret} onInput={setSecret} required />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

function Page({ route }: { route: string[] }) {
  const [first, ...rest] = route;
  switch (first) {
    case undefined:
      return <HomePage />;
    case 'sqs':
      return <SqsPage path={rest} />;
    case 'sns':
      return <SnsPage />;
    case 's3':
      return <S3Page path={rest} />;
    case 'dynamodb':
      return <DynamoPage path={rest} />;
    case 'lambda':
      return <LambdaPage path={rest} />;
    case 'ecs':
      return <EcsPage path={rest} />;
    case 'elb':
      return <ElbPage />;
    case 'iam':
      return <IamPage />;
    case 'trail':
      return <TrailPage />;
    case 'observe':
      return <ObservePage />;
    default:
      return (
        <p class="empty">
          There is no page “{first}”. <a href="#/">Go to the service map.</a>
        </p>
      );
  }
}

function App() {
  const route = useRoute();
  useEffect(() => {
    loadSession().catch(() => (session.value = null));
  }, []);
  const s = session.value;
  if (s === undefined) return <p class="loading">Loading…</p>;
  if (s === null) return <SignIn />;
  const current = route[0] ?? '';
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header>
        <a class="brand" href="#/">
          Atoll console
        </a>
        <span class="who" title={s.arn}>
          {s.arn} · {s.region}
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Services">
        <ul>
          {NAV.map(([path, label]) => (
            <li>
              <a href={`#/${path}`} aria-current={current === path ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
