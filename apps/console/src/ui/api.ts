// The browser side of the console's server API: every AWS action is a POST to /api/call, which the
// server signs with the session's keys and sends through the platform's edge. State-changing requests
// carry the session's CSRF token in a header.
import { signal } from '@preact/signals';

export const BASE = '/_atoll/console';

export interface Session {
  arn: string;
  account: string;
  accessKeyId: string;
  csrf: string;
  region: string;
}

export interface AwsError {
  code: string;
  status: number;
  message: string;
}

export const session = signal<Session | null | undefined>(undefined);

export class CallError extends Error implements AwsError {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readError(res: Response): Promise<CallError> {
  let body: { error?: Partial<AwsError> } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    /* not JSON */
  }
  const e = body.error ?? {};
  if (res.status === 401 && e.code === 'NotSignedIn') session.value = null;
  return new CallError(e.code ?? `HTTP${res.status}`, e.status ?? res.status, e.message ?? res.statusText);
}

function headers(json = true): Record<string, string> {
  const h: Record<string, string> = {};
  if (json) h['content-type'] = 'application/json';
  if (session.value) h['x-atoll-csrf'] = session.value.csrf;
  return h;
}

export async function loadSession(): Promise<void> {
  const res = await fetch(`${BASE}/api/session`, { credentials: 'same-origin' });
  session.value = res.ok ? ((await res.json()) as Session) : null;
}

export async function signIn(accessKeyId: string, secretAccessKey: string): Promise<void> {
  const res = await fetch(`${BASE}/api/session`, { method: 'POST', headers: headers(), body: JSON.stringify({ accessKeyId, secretAccessKey }), credentials: 'same-origin' });
  if (!res.ok) throw await readError(res);
  session.value = (await res.json()) as Session;
}

export async function signOut(): Promise<void> {
  await fetch(`${BASE}/api/session`, { method: 'DELETE', headers: headers(), credentials: 'same-origin' });
  session.value = null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Out = Record<string, any>;

export async function call(service: string, operation: string, input: unknown = {}): Promise<Out> {
  const res = await fetch(`${BASE}/api/call`, { method: 'POST', headers: headers(), body: JSON.stringify({ service, operation, input }), credentials: 'same-origin' });
  if (!res.ok) throw await readError(res);
  return (await res.json()) as Out;
}

export async function upload(bucket: string, key: string, file: Blob): Promise<Out> {
  const q = new URLSearchParams({ bucket, key });
  const h = headers(false);
  h['content-type'] = file.type || 'application/octet-stream';
  const res = await fetch(`${BASE}/api/s3/upload?${q}`, { method: 'POST', headers: h, body: file, credentials: 'same-origin' });
  if (!res.ok) throw await readError(res);
  return (await res.json()) as Out;
}

export function downloadUrl(bucket: string, key: string, versionId?: string): string {
  const q = new URLSearchParams({ bucket, key });
  if (versionId) q.set('versionId', versionId);
  return `${BASE}/api/s3/download?${q}`;
}

export async function presign(bucket: string, key: string, expiresIn: number): Promise<string> {
  const res = await fetch(`${BASE}/api/s3/presign`, { method: 'POST', headers: headers(), body: JSON.stringify({ bucket, key, expiresIn }), credentials: 'same-origin' });
  if (!res.ok) throw await readError(res);
  return ((await res.json()) as { url: string }).url;
}

export interface Watched {
  id: string;
  service: string;
  operation: string;
  input?: unknown;
}

export type LiveState = 'connecting' | 'live' | 'retrying';

/**
 * Watches read-only calls over server-sent events. A dropped stream reconnects after 1 s, 2 s, 4 s …
 * up to 30 s; a received event resets the delay. Returns the function that stops watching.
 */
export function watch(calls: Watched[], onUpdate: (id: string, output?: Out, error?: AwsError) => void, onState?: (s: LiveState) => void): () => void {
  let source: EventSource | undefined;
  let delay = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const open = () => {
    onState?.('connecting');
    source = new EventSource(`${BASE}/api/events?watch=${encodeURIComponent(JSON.stringify(calls))}`);
    source.onopen = () => onState?.('live');
    source.addEventListener('update', (event) => {
      delay = 1000;
      onState?.('live');
      const data = JSON.parse((event as MessageEvent<string>).data) as { id: string; output?: Out; error?: AwsError };
      onUpdate(data.id, data.output, data.error);
    });
    source.onerror = () => {
      source?.close();
      if (stopped) return;
      onState?.('retrying');
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 30_000);
    };
  };
  open();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    source?.close();
  };
}
