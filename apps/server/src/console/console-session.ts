// The console's sessions, kept in memory on this node (a restart or another node signs the user out):
// the access key pair the user signed in with stays here, server-side, and the browser holds only an
// opaque id in an HttpOnly, SameSite=Strict cookie. Each session carries a CSRF token that every
// state-changing console request must echo in a header. One-time sign-in tokens (the link printed at
// start on loopback) are short-lived and open a session for the root key.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface ConsoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ConsoleSession {
  id: string;
  csrf: string;
  credentials: ConsoleCredentials;
  /** The caller's ARN and account as STS answered at sign-in. */
  arn: string;
  account: string;
  expiresAt: number;
}

export const COOKIE_NAME = 'atoll_console';
const SESSION_MS = 12 * 60 * 60 * 1000;
const SIGN_IN_TOKEN_MS = 10 * 60 * 1000;
const MAX_SESSIONS = 1000;

function token(): string {
  return randomBytes(24).toString('base64url');
}

export class ConsoleSessions {
  readonly #sessions = new Map<string, ConsoleSession>();
  readonly #signInTokens = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  create(credentials: ConsoleCredentials, arn: string, account: string): ConsoleSession {
    this.#sweep();
    if (this.#sessions.size >= MAX_SESSIONS) {
      // The oldest session goes first: a flood of sign-ins cannot grow memory without bound.
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    const session: ConsoleSession = { id: token(), csrf: token(), credentials, arn, account, expiresAt: this.#now() + SESSION_MS };
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  /** A one-time token for the printed sign-in link (valid 10 minutes). */
  issueSignInToken(): string {
    this.#sweep();
    const value = token();
    this.#signInTokens.set(value, this.#now() + SIGN_IN_TOKEN_MS);
    return value;
  }

  /** Consumes a sign-in token: true once, while it is fresh. */
  redeemSignInToken(value: string): boolean {
    const expires = this.#signInTokens.get(value);
    if (expires === undefined) return false;
    this.#signInTokens.delete(value);
    return expires > this.#now();
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
    for (const [t, expires] of this.#signInTokens) if (expires <= now) this.#signInTokens.delete(t);
  }
}

/** Constant-time comparison of two tokens. */
export function sameToken(a: string | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(id: string, secure: boolean): string {
  return `${COOKIE_NAME}=${id}; Path=/_atoll/console/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(): string {
  return `${COOKIE_NAME}=; Path=/_atoll/console/; HttpOnly; SameSite=Strict; Max-Age=0`;
}
