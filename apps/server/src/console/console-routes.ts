// The web console's routes under /_atoll/console/: the static app, sign-in and sessions, the signed
// call proxy (every action is an SDK call through the edge with the session's keys, see
// console-aws.ts), S3 upload/download/presign helpers and the live-update stream.
//
// Known limitations:
// - Sessions live in this node's memory: a restart signs everyone out, and behind several nodes a
//   session is valid only on the node that opened it (use sticky routing or sign in again).
// - The call proxy uses the AWS SDK v3 clients installed with the platform; a service without an
//   installed client is not reachable from the console.
// - Uploads through the console are limited to 32 MiB per object (larger ones: use the CLI or SDK).
// - Sign-in is not rate-limited beyond the edge's own signature checks.
// - Live updates repeat each watched read-only call every 2 s per open stream, as signed calls: they
//   are authorized and audited like any call, so an open queue or ECS page adds read events
//   (GetQueueAttributes, DescribeServices …) to the CloudTrail trail. Nothing is sent while nothing changes.
// - The service map shows no queue's oldest-message age (not published yet), and no S3 notification
//   or API Gateway route connections; function error counts are CloudWatch's AWS/Lambda Errors (which
//   counts timeouts and crashes, not handler errors). ECS pages show events and tasks but no live
//   task log stream (the Metrics & logs page tails any log group).
// - The console answers in English only and keeps no per-user preferences.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@atoll/core';
import { ConsoleAssets, SECURITY_HEADERS } from './console-assets.js';
import { ConsoleAws, ConsoleCallError, asCallError } from './console-aws.js';
import { DEFAULT_TICK_MS, parseWatch, streamEvents } from './console-events.js';
import { ConsoleSessions, COOKIE_NAME, clearedCookie, readCookie, sameToken, sessionCookie, type ConsoleCredentials, type ConsoleSession } from './console-session.js';

export const CONSOLE_PREFIX = '/_atoll/console';
const MAX_JSON = 1024 * 1024;
const MAX_UPLOAD = 32 * 1024 * 1024;

export interface ConsoleDeps {
  /** The edge's loopback URL: where the console's signed calls go. */
  endpoint: () => string;
  region: string;
  root: ConsoleCredentials;
  logger: Logger;
  /** Interval of the live-update stream (tests shorten it). */
  tickMs?: number;
}

export class ConsoleRoutes {
  readonly sessions = new ConsoleSessions();
  readonly #aws: ConsoleAws;
  readonly #assets = new ConsoleAssets();
  readonly #deps: ConsoleDeps;

  constructor(deps: ConsoleDeps) {
    this.#deps = deps;
    this.#aws = new ConsoleAws(deps.endpoint, deps.region);
  }

  /** Closes the console's cached SDK clients. */
  close(): void {
    this.#aws.close();
  }

  /** The one-command sign-in link (loopback listeners only; `base` is the edge URL). */
  signInLink(base: string): string {
    return `${base}${CONSOLE_PREFIX}/signin?token=${this.sessions.issueSignInToken()}`;
  }

  /** Handles a console path; false when `path` is not one. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: string): boolean {
    if (path !== CONSOLE_PREFIX && !path.startsWith(`${CONSOLE_PREFIX}/`)) return false;
    const method = req.method ?? 'GET';
    const sub = path.slice(CONSOLE_PREFIX.length);
    if (sub === '' || sub === '/' || sub === '/index.html') {
      if (sub === '') return redirect(res, `${CONSOLE_PREFIX}/`);
      if (!this.#assets.serve(req, res, 'index.html')) {
        sendText(res, 503, 'The console is not built: run `npm install` (or `node tools/build.mjs apps/console`).');
      }
      return true;
    }
    if (sub.startsWith('/assets/') && (method === 'GET' || method === 'HEAD')) {
      const name = sub.slice('/assets/'.length);
      if (!/^[A-Za-z0-9._-]+$/.test(name) || !this.#assets.serve(req, res, name)) sendJson(res, 404, { error: { code: 'NotFound', message: `No console asset ${name}` } });
      return true;
    }
    if (sub === '/signin' && method === 'GET') {
      this.#signInWithToken(req, res, new URLSearchParams(query).get('token') ?? '');
      return true;
    }
    if (sub.startsWith('/api/')) {
      this.#api(req, res, method, sub.slice('/api'.length), new URLSearchParams(query)).catch((error: unknown) => {
        const e = error instanceof ConsoleCallError ? error : undefined;
        if (!e) this.#deps.logger.error({ err: error, path }, 'console route failed');
        const failure = e ?? new ConsoleCallError('InternalFailure', 500, 'The console could not complete the request');
        if (res.headersSent) return void res.destroy();
        sendJson(res, failure.status, { error: { code: failure.code, status: failure.status, message: failure.message } });
      });
      return true;
    }
    sendJson(res, 404, { error: { code: 'NotFound', message: `No console route ${path}` } });
    return true;
  }

  #signInWithToken(req: IncomingMessage, res: ServerResponse, token: string): void {
    if (!token || !this.sessions.redeemSignInToken(token)) {
      sendText(res, 401, 'This sign-in link has expired or was used already. Restart the server for a new one, or sign in with an access key.');
      return;
    }
    const session = this.sessions.create(this.#deps.root, 'root', '');
    // The account is filled in by the first session read; the root key is the platform's own.
    res.setHeader('set-cookie', sessionCookie(session.id, isSecure(req)));
    redirect(res, `${CONSOLE_PREFIX}/`);
  }

  async #api(req: IncomingMessage, res: ServerResponse, method: string, route: string, params: URLSearchParams): Promise<void> {
    if (route === '/session' && method === 'POST') return this.#signIn(req, res);
    const session = this.sessions.get(readCookie(req.headers.cookie, COOKIE_NAME));
    if (route === '/session' && method === 'GET') {
      if (!session) return sendJson(res, 401, { error: { code: 'NotSignedIn', message: 'Sign in with an access key pair.' } });
      if (session.arn === 'root') await this.#describe(session);
      return sendJson(res, 200, { arn: session.arn, account: session.account, accessKeyId: session.credentials.accessKeyId, csrf: session.csrf, region: this.#deps.region });
    }
    if (!session) throw new ConsoleCallError('NotSignedIn', 401, 'Your session has ended. Sign in again.');
    if (method !== 'GET' && method !== 'HEAD') this.#checkCsrf(req, session);
    if (route === '/session' && method === 'DELETE') {
      this.sessions.delete(session.id);
      res.setHeader('set-cookie', clearedCookie());
      return sendJson(res, 200, { signedOut: true });
    }
    if (route === '/call' && method === 'POST') {
      const body = parseJson(await readBody(req, MAX_JSON)) as { service?: unknown; operation?: unknown; input?: unknown };
      if (typeof body.service !== 'string' || typeof body.operation !== 'string') throw new ConsoleCallError('ValidationError', 400, 'service and operation are required');
      const output = await this.#aws.call(session.credentials, body.service, body.operation, body.input ?? {});
      return sendJson(res, 200, output);
    }
    if (route === '/s3/upload' && method === 'POST') {
      const bucket = params.get('bucket');
      const key = params.get('key');
      if (!bucket || !key) throw new ConsoleCallError('ValidationError', 400, 'bucket and key are required');
      const body = await readBody(req, MAX_UPLOAD);
      const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
      const { client, mod } = await this.#aws.client('s3', session.credentials);
      try {
        const Put = mod.PutObjectCommand as new (input: unknown) => unknown;
        const out = await client.send(new Put({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
        return sendJson(res, 200, { ETag: out.ETag, VersionId: out.VersionId });
      } catch (error) {
        throw asCallError(error);
      }
    }
    if (route === '/s3/download' && method === 'GET') {
      const bucket = params.get('bucket');
      const key = params.get('key');
      if (!bucket || !key) throw new ConsoleCallError('ValidationError', 400, 'bucket and key are required');
      const { client, mod } = await this.#aws.client('s3', session.credentials);
      try {
        const Get = mod.GetObjectCommand as new (input: unknown) => unknown;
        const out = await client.send(new Get({ Bucket: bucket, Key: key, ...(params.get('versionId') ? { VersionId: params.get('versionId') } : {}) }));
        const bytes = await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
        const filename = key.split('/').pop() || 'object';
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'application/octet-stream',
          'content-length': bytes.length,
          'content-disposition': `attachment; filename="${filename.replace(/["\\\r\n]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
        });
        res.end(Buffer.from(bytes));
        return;
      } catch (error) {
        throw asCallError(error);
      }
    }
    if (route === '/s3/presign' && method === 'POST') {
      const body = parseJson(await readBody(req, MAX_JSON)) as { bucket?: string; key?: string; expiresIn?: number };
      if (!body.bucket || !body.key) throw new ConsoleCallError('ValidationError', 400, 'bucket and key are required');
      const expiresIn = Math.min(Math.max(Number(body.expiresIn) || 900, 1), 604800);
      const { client, mod } = await this.#aws.client('s3', session.credentials);
      try {
        const presigner = (await import('@aws-sdk/s3-request-presigner' as string)) as { getSignedUrl(c: unknown, cmd: unknown, o: unknown): Promise<string> };
        const Get = mod.GetObjectCommand as new (input: unknown) => unknown;
        const url = await presigner.getSignedUrl(client, new Get({ Bucket: body.bucket, Key: body.key }), { expiresIn });
        return sendJson(res, 200, { url, expiresIn });
      } catch (error) {
        throw asCallError(error);
      }
    }
    if (route === '/events' && method === 'GET') {
      const calls = parseWatch(params.get('watch'));
      streamEvents(this.#aws, session, req, res, calls, this.#deps.tickMs ?? DEFAULT_TICK_MS);
      return;
    }
    throw new ConsoleCallError('NotFound', 404, `No console API ${method} ${route}`);
  }

  async #signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#checkOrigin(req);
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      throw new ConsoleCallError('ValidationError', 415, 'Sign-in takes a JSON body');
    }
    const body = parseJson(await readBody(req, 16 * 1024)) as { accessKeyId?: unknown; secretAccessKey?: unknown; sessionToken?: unknown };
    const accessKeyId = typeof body.accessKeyId === 'string' ? body.accessKeyId.trim() : '';
    const secretAccessKey = typeof body.secretAccessKey === 'string' ? body.secretAccessKey.trim() : '';
    if (!/^[A-Z0-9]{16,128}$/.test(accessKeyId)) throw new ConsoleCallError('ValidationError', 400, 'Enter an access key ID (16 to 128 capital letters and digits, like AKIA…).');
    if (secretAccessKey.length < 16 || secretAccessKey.length > 128) throw new ConsoleCallError('ValidationError', 400, 'Enter the secret access key that belongs to this access key ID.');
    const credentials: ConsoleCredentials = { accessKeyId, secretAccessKey };
    if (typeof body.sessionToken === 'string' && body.sessionToken.trim()) credentials.sessionToken = body.sessionToken.trim();
    // The probe: a signed sts:GetCallerIdentity through the edge verifies the pair as any SDK call would.
    const who = await this.#aws.call(credentials, 'sts', 'GetCallerIdentity', {});
    const session = this.sessions.create(credentials, String(who.Arn ?? ''), String(who.Account ?? ''));
    res.setHeader('set-cookie', sessionCookie(session.id, isSecure(req)));
    sendJson(res, 200, { arn: session.arn, account: session.account, accessKeyId, csrf: session.csrf, region: this.#deps.region });
  }

  async #describe(session: ConsoleSession): Promise<void> {
    const who = await this.#aws.call(session.credentials, 'sts', 'GetCallerIdentity', {});
    session.arn = String(who.Arn ?? '');
    session.account = String(who.Account ?? '');
  }

  #checkCsrf(req: IncomingMessage, session: ConsoleSession): void {
    this.#checkOrigin(req);
    if (!sameToken(req.headers['x-atoll-csrf'] as string | undefined, session.csrf)) {
      throw new ConsoleCallError('InvalidCsrfToken', 403, 'The request did not carry this session\'s CSRF token; reload the page.');
    }
  }

  /** A browser names the page's origin: a state-changing request from another site is refused. */
  #checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    const host = req.headers.host;
    if (!host || (origin !== `http://${host}` && origin !== `https://${host}`)) {
      throw new ConsoleCallError('InvalidOrigin', 403, `Requests from ${origin} are not accepted by this console`);
    }
  }
}

function isSecure(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}

function parseJson(body: Buffer): unknown {
  try {
    const value = JSON.parse(body.toString('utf8') || '{}');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new ConsoleCallError('ValidationError', 400, 'The request body is not a JSON object');
  }
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new ConsoleCallError('RequestEntityTooLarge', 413, `The body exceeds ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function redirect(res: ServerResponse, location: string): boolean {
  res.writeHead(303, { ...SECURITY_HEADERS, location });
  res.end();
  return true;
}
