// Shared pieces of the console's pages: the AWS error box (code and message verbatim), tables with
// empty states, labelled fields, a confirmation dialog and a hook that runs a call and keeps its result.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type AwsError, type Out } from './api.js';

export function ErrorBox({ error, what }: { error: AwsError | null | undefined; what?: string }) {
  if (!error) return null;
  const gone = /NotFound|NonExistent|DoesNotExist|NoSuch/.test(error.code);
  return (
    <div class="error" role="alert">
      <strong>{error.code}</strong>
      {error.status ? <span class="status"> (HTTP {error.status})</span> : null}: {error.message}
      {gone ? <p>This resource no longer exists{what ? ` (${what})` : ''}; it may have been deleted while you were viewing it. Go back to the list.</p> : null}
      {error.code === 'AccessDenied' || error.code === 'AccessDeniedException' || error.code === 'UnauthorizedOperation' ? (
        <p>Your identity lacks this permission: ask an administrator to grant it in IAM, or sign in as another identity.</p>
      ) : null}
    </div>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: AwsError | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `fn` when `deps` change; `reload` runs it again. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<AwsError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    fn().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: AwsError) => {
        if (!live) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** An action button's state: busy while running, its error, its last result. */
export function useAction<A extends unknown[]>(fn: (...args: A) => Promise<Out | void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AwsError | null>(null);
  const [result, setResult] = useState<Out | void>(undefined);
  const run = async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      const r = await fn(...args);
      setResult(r);
      return r;
    } catch (e) {
      setError(e as AwsError);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, result, run, setError };
}

export function Table({ columns, rows, empty, label }: { columns: string[]; rows: ComponentChildren[][]; empty: ComponentChildren; label: string }) {
  if (rows.length === 0) return <p class="empty">{empty}</p>;
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th scope="col">{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            {r.map((cell) => (
              <td>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

let fieldSeq = 0;
export function Field(props: { label: string; value: string; onInput: (v: string) => void; type?: string; multiline?: boolean; placeholder?: string; required?: boolean; name?: string; rows?: number }) {
  const id = useRef(`f${++fieldSeq}`).current;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea id={id} name={props.name} rows={props.rows ?? 6} value={props.value} placeholder={props.placeholder} required={props.required} onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)} />
      ) : (
        <input id={id} name={props.name} type={(props.type ?? 'text') as 'text'} value={props.value} placeholder={props.placeholder} required={props.required} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />
      )}
    </div>
  );
}

/** A button that asks before doing something that cannot be undone. */
export function ConfirmButton({ label, question, onConfirm, busy }: { label: string; question: string; onConfirm: () => void; busy?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="danger" disabled={busy} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label="Confirm">
      <span>{question}</span>
      <button
        type="button"
        class="danger"
        ref={(b) => b?.focus()}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}

export function Loading({ on }: { on: boolean }) {
  return on ? (
    <p class="loading" aria-live="polite">
      Loading…
    </p>
  ) : null;
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section>
      <div class="section-head">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** Parses a JSON text field; returns the value or the parse error's message. */
export function parseJsonField(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `Not valid JSON: ${(e as Error).message}` };
  }
}

export function nameFromArn(arn: string | undefined): string {
  if (!arn) return '';
  const slash = arn.lastIndexOf('/');
  return slash >= 0 ? arn.slice(slash + 1) : arn.slice(arn.lastIndexOf(':') + 1);
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}
