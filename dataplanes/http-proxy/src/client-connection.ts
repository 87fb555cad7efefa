// One client connection to an ALB listener: reads request heads off the socket, routes each by the
// listener's rules, then forwards it over a pooled target connection (body bytes pass through with
// their framing), answers itself (redirect, fixed response, error page), or tunnels an Upgrade.
// Requests on a connection are served in order; pipelined bytes wait until the response is done.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ActionConfig, HttpListenerConfig } from './config.js';
import { errorPage } from './error-pages.js';
import { ChunkTracker, CRLFCRLF, latin1, MAX_HEAD, parseRequestHead, requestHeaderKind, WireError, type RequestHead, type ResponseHead } from './http-wire.js';
import { lambdaEvent, lambdaResponse } from './lambda-target.js';
import { redirectLocation } from './redirect.js';
import { cookieLine, httpDate, newTraceId, readCookie } from './header-values.js';
import { matchRule, type CompiledRule, type RequestView } from './rules.js';
import type { TargetGroupRuntime, TargetRuntime } from './target-group.js';
import type { ResponseSink, UpstreamConnection, UpstreamPool } from './upstream-pool.js';
import { openTunnel } from './upgrade-tunnel.js';

export interface ListenerRuntime {
  config: HttpListenerConfig;
  rules: CompiledRule[];
  proto: string;
  port: number;
  portText: string;
  idleMs: number;
  connections: Set<ClientConnection>;
}

/** What a connection needs from the proxy that owns it. */
export interface ProxyCore {
  group(id: string): TargetGroupRuntime | undefined;
  pool(group: TargetGroupRuntime, target: TargetRuntime, idleMs: number): UpstreamPool;
  reportError(error: unknown, listenerId: string, targetKey?: string): void;
  /** Told of every answered request (metrics), when set. */
  readonly observer: ((served: ServedRequest) => void) | undefined;
}

/** One answered request, for the load balancer's metrics (AWS/ApplicationELB). */
export interface ServedRequest {
  listenerId: string;
  /** The target group the request went to, when it went to one. */
  targetGroupId?: string;
  status: number;
  /** Whether a target made the answer (otherwise the load balancer did: a fixed response, a redirect, an error page). */
  fromTarget: boolean;
  /** From the request leaving the load balancer to the target's response head (ms), when a target answered. */
  targetResponseMs?: number;
  /** The target group's targets eligible for traffic when a target answered (RequestCountPerTarget). */
  eligibleTargets?: number;
}

const HEAD = 0;
const REQUEST_BODY = 1;
const AWAIT_RESPONSE = 2;
const TUNNEL = 3;
const CLOSED = 4;
const COLLECT = 5;
const LAMBDA = 6;

/** Reason phrases ALB uses where they differ from Node's. */
const ALB_REASONS: Record<number, string> = { 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };

const hasBody = (head: RequestHead): boolean => head.contentLength > 0 || head.chunked;

// One view serves every request: rule evaluation is synchronous.
const view: RequestView = { method: '', url: '', host: '', remoteAddress: '', names: [], values: [], path: undefined, query: undefined };

export class ClientConnection implements ResponseSink {
  readonly clientSocket: Socket;
  readonly #listener: ListenerRuntime;
  readonly #core: ProxyCore;
  readonly #remoteAddress: string;
  #state = HEAD;
  #pending: Buffer | undefined = undefined;
  #paused = false;
  // The exchange in progress.
  #head: RequestHead | undefined = undefined;
  #group: TargetGroupRuntime | undefined = undefined;
  #target: TargetRuntime | undefined = undefined;
  #upstream: UpstreamConnection | undefined = undefined;
  #upstreamHead = '';
  #retried = false;
  #requestDone = true;
  #reqRemaining = 0;
  #reqTracker: ChunkTracker | undefined = undefined;
  #responseStarted = false;
  #closeAfter = false;
  #cookies: string[] | undefined = undefined;
  #dechunk: ChunkTracker | undefined = undefined;
  #collected: Buffer[] = [];
  #heldRaw: Buffer | undefined = undefined;
  #heldHead: string | undefined = undefined;
  /** When the exchange in progress left for its target (performance.now()), for metrics. */
  #forwardedAt = 0;

  constructor(socket: Socket, listener: ListenerRuntime, core: ProxyCore) {
    this.clientSocket = socket;
    this.#listener = listener;
    this.#core = core;
    let ip = socket.remoteAddress ?? '';
    if (ip.startsWith('::ffff:')) ip = ip.slice(7);
    this.#remoteAddress = ip;
    socket.setNoDelay(true);
    socket.setTimeout(listener.idleMs);
    socket.on('data', this.#onData);
    socket.on('error', this.#onSocketError);
    socket.on('close', this.#onClose);
    socket.on('timeout', this.#onTimeout);
    listener.connections.add(this);
  }

  destroy(): void {
    this.clientSocket.destroy();
  }

  readonly #onSocketError = (): void => {
    this.clientSocket.destroy();
  };

  readonly #onTimeout = (): void => {
    // Waiting for a target is the target connection's timeout (504); otherwise the client idled out.
    if (this.#state !== AWAIT_RESPONSE && this.#state !== LAMBDA && this.#state !== TUNNEL) this.clientSocket.destroy();
  };

  readonly #onClose = (): void => {
    const previous = this.#state;
    this.#state = CLOSED;
    this.#listener.connections.delete(this);
    if (previous === TUNNEL) return;
    const up = this.#upstream;
    if (up !== undefined) {
      this.#upstream = undefined;
      up.destroy();
      up.pool.forget(up);
    }
    this.#endExchange();
  };

  readonly #onData = (chunk: Buffer): void => {
    switch (this.#state) {
      case HEAD:
        this.#pending = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
        this.#processHeads();
        return;
      case REQUEST_BODY:
        this.#forwardBody(chunk);
        return;
      case COLLECT:
        this.#collect(chunk);
        return;
      default:
        // Pipelined bytes: kept until the current response is done.
        this.#pending = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
        this.#pause();
    }
  };

  #pause(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.clientSocket.pause();
    }
  }

  #resume(): void {
    if (this.#paused) {
      this.#paused = false;
      this.clientSocket.resume();
    }
  }

  #processHeads(): void {
    while (this.#state === HEAD && this.#pending !== undefined) {
      const buf = this.#pending;
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > MAX_HEAD) this.#reject(431);
        return;
      }
      let head: RequestHead;
      try {
        head = parseRequestHead(latin1(buf, 0, end));
      } catch (error) {
        this.#reject(error instanceof WireError ? error.status : 400);
        return;
      }
      this.#pending = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
      this.#dispatch(head);
    }
  }

  /** Answers a request that could not be parsed, then closes. */
  #reject(status: number): void {
    this.#pending = undefined;
    this.#closeAfter = true;
    this.#head = undefined;
    this.#requestDone = true;
    this.#respond(status, '', errorPage(status), 'text/html');
  }

  #dispatch(head: RequestHead): void {
    this.#head = head;
    this.#closeAfter = !head.keepAlive;
    this.#requestDone = !hasBody(head);
    view.method = head.method;
    view.url = head.url;
    view.host = head.host;
    view.remoteAddress = this.#remoteAddress;
    view.names = head.names;
    view.values = head.values;
    view.path = undefined;
    view.query = undefined;
    const action = matchRule(this.#listener.rules, view);
    if (head.upgrade) {
      this.#tunnel(head, action);
      return;
    }
    if (action === undefined) return this.#answer(503);
    if (action.type === 'forward') return this.#forward(head, action);
    if (action.type === 'redirect') return this.#redirect(head, action);
    const body = Buffer.from(action.body ?? '');
    this.#respond(action.statusCode, '', body, action.contentType);
  }

  /** One of ALB's error pages. */
  #answer(status: number): void {
    this.#respond(status, '', errorPage(status), 'text/html');
  }

  /**
   * Writes a response the load balancer makes itself. A request body that was not read makes the
   * connection close afterwards.
   */
  #respond(status: number, extraHeaders: string, body: Buffer, contentType: string | undefined, targetGroupId?: string): void {
    if (this.#core.observer !== undefined) this.#observe(status, targetGroupId, targetGroupId !== undefined, 1);
    const head = this.#head;
    if (head !== undefined && hasBody(head) && !this.#requestDone) this.#closeAfter = true;
    const close = this.#closeAfter;
    let text = `HTTP/1.1 ${status} ${ALB_REASONS[status] ?? STATUS_CODES[status] ?? 'Unknown'}\r\nServer: awselb/2.0\r\nDate: ${httpDate()}\r\n`;
    if (contentType !== undefined) text += `Content-Type: ${contentType}\r\n`;
    text += `Content-Length: ${body.length}\r\n${extraHeaders}`;
    text += close ? 'Connection: close\r\n\r\n' : head?.minor === 0 ? 'Connection: keep-alive\r\n\r\n' : '\r\n';
    const socket = this.clientSocket;
    if (socket.destroyed) return;
    socket.cork();
    socket.write(text, 'latin1');
    if (body.length > 0 && head?.method !== 'HEAD') socket.write(body);
    socket.uncork();
    this.#head = undefined;
    if (close) {
      this.#state = CLOSED;
      this.#pending = undefined;
      socket.end();
    } else this.#state = HEAD;
  }

  #observe(status: number, targetGroupId: string | undefined, fromTarget: boolean, eligibleTargets?: number): void {
    try {
      this.#core.observer!({
        listenerId: this.#listener.config.id,
        ...(targetGroupId !== undefined ? { targetGroupId } : {}),
        status,
        fromTarget,
        ...(fromTarget ? { targetResponseMs: performance.now() - this.#forwardedAt, eligibleTargets } : {}),
      });
    } catch {
      // a metrics hook must never take the proxy down
    }
  }

  #redirect(head: RequestHead, action: Extract<ActionConfig, { type: 'redirect' }>): void {
    const location = redirectLocation(head.url, head.host, this.#listener.proto, this.#listener.portText, action);
    this.#respond(action.statusCode, `Location: ${location}\r\n`, Buffer.alloc(0), 'text/html');
  }

  #chooseGroup(head: RequestHead, action: Extract<ActionConfig, { type: 'forward' }>): TargetGroupRuntime | undefined {
    const groups = action.targetGroups;
    if (groups.length === 1) return this.#core.group(groups[0]!.id);
    if (action.stickinessSeconds > 0) {
      const sticky = readCookie(head.cookie, 'AWSALBTG');
      if (sticky !== undefined) {
        const g = groups[Number.parseInt(sticky, 36)];
        if (g !== undefined && g.weight > 0) {
          const group = this.#core.group(g.id);
          if (group !== undefined && group.eligible.length > 0) return group;
        }
      }
    }
    let total = 0;
    for (const g of groups) total += g.weight;
    if (total <= 0) return undefined;
    let r = Math.random() * total;
    let index = groups.length - 1;
    for (let i = 0; i < groups.length; i++) {
      r -= groups[i]!.weight;
      if (r < 0) {
        index = i;
        break;
      }
    }
    if (action.stickinessSeconds > 0) (this.#cookies ??= []).push(cookieLine('AWSALBTG', index.toString(36), action.stickinessSeconds));
    return this.#core.group(groups[index]!.id);
  }

  #pickTarget(head: RequestHead, group: TargetGroupRuntime): TargetRuntime | undefined {
    const stickiness = group.config.stickiness;
    if (!stickiness.enabled) return group.pick();
    const cookie = readCookie(head.cookie, 'AWSALB');
    let target = cookie === undefined ? undefined : group.byCookie(cookie);
    if (target === undefined) target = group.pick();
    if (target !== undefined) (this.#cookies ??= []).push(cookieLine('AWSALB', target.cookie, stickiness.durationSeconds));
    return target;
  }

  /** The head sent to the target: the client's head plus X-Forwarded-* and the trace id, hop-by-hop headers removed. */
  #buildHead(head: RequestHead, keepUpgrade: boolean): string {
    const listener = this.#listener;
    let text: string;
    if (!head.rewrite && !keepUpgrade) text = head.text;
    else {
      text = `${head.method} ${head.url} HTTP/1.1\r\n`;
      const names = head.names;
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        const lower = name.toLowerCase();
        const kind = requestHeaderKind(lower);
        if (kind === 0 || kind === 3 || (keepUpgrade && (lower === 'upgrade' || lower === 'connection'))) text += `${name}: ${head.values[i]!}\r\n`;
      }
      // HTTP/1.0 requests may come without Host; HTTP/1.1 targets need one.
      if (head.host === '') text += `Host: ${listener.config.host}:${listener.portText}\r\n`;
    }
    const ip = this.#remoteAddress;
    text += `X-Forwarded-For: ${head.forwardedFor === undefined ? ip : `${head.forwardedFor}, ${ip}`}\r\nX-Forwarded-Proto: ${listener.proto}\r\nX-Forwarded-Port: ${listener.portText}\r\n`;
    if (head.traceId === undefined) {
      httpDate();
      text += `X-Amzn-Trace-Id: ${newTraceId()}\r\n`;
    }
    return `${text}\r\n`;
  }

  #forward(head: RequestHead, action: Extract<ActionConfig, { type: 'forward' }>): void {
    this.#cookies = undefined;
    const group = this.#chooseGroup(head, action);
    if (group === undefined) return this.#answer(503);
    if (group.config.invoke !== undefined) return this.#startLambda(head, group);
    const target = this.#pickTarget(head, group);
    if (target === undefined) return this.#answer(503);
    target.inFlight++;
    if (this.#core.observer !== undefined) this.#forwardedAt = performance.now();
    this.#group = group;
    this.#target = target;
    this.#retried = false;
    this.#responseStarted = false;
    this.#dechunk = undefined;
    this.#upstreamHead = this.#buildHead(head, false);
    if (head.expectContinue && hasBody(head)) this.clientSocket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    const up = this.#core.pool(group, target, this.#listener.idleMs).acquire();
    this.#upstream = up;
    up.attach(this, head.method === 'HEAD');
    if (!hasBody(head)) {
      this.#requestDone = true;
      this.#state = AWAIT_RESPONSE;
      up.socket.write(this.#upstreamHead, 'latin1');
      if (this.#pending !== undefined) this.#pause();
      return;
    }
    this.#requestDone = false;
    this.#state = REQUEST_BODY;
    this.#reqRemaining = head.chunked ? 0 : head.contentLength;
    if (head.chunked) (this.#reqTracker ??= new ChunkTracker()).reset();
    up.socket.cork();
    up.socket.write(this.#upstreamHead, 'latin1');
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) this.#forwardBody(pending);
    up.socket.uncork();
  }

  /** Passes request body bytes to the target until the body's end; later bytes wait as pipelined. */
  #forwardBody(buf: Buffer): void {
    const up = this.#upstream;
    let stop: number;
    if (this.#head!.chunked) {
      let end: number;
      try {
        end = this.#reqTracker!.feed(buf, 0, buf.length);
      } catch {
        this.#closeAfter = true;
        up?.destroy();
        this.clientSocket.destroy();
        return;
      }
      stop = end < 0 ? buf.length : end;
      if (end >= 0) this.#requestDone = true;
    } else {
      stop = Math.min(this.#reqRemaining, buf.length);
      this.#reqRemaining -= stop;
      if (this.#reqRemaining === 0) this.#requestDone = true;
    }
    if (up !== undefined && stop > 0 && !up.dead) {
      const ok = up.socket.write(stop === buf.length ? buf : buf.subarray(0, stop));
      if (!ok) {
        this.#pause();
        up.socket.once('drain', this.#onUpstreamDrain);
      }
    }
    if (stop < buf.length) this.#pending = buf.subarray(stop);
    if (this.#requestDone) {
      if (this.#state === REQUEST_BODY) this.#state = AWAIT_RESPONSE;
      if (this.#pending !== undefined) this.#pause();
    }
  }

  readonly #onUpstreamDrain = (): void => {
    if (this.#state === REQUEST_BODY) this.#resume();
  };

  readonly #onClientDrain = (): void => {
    this.#upstream?.socket.resume();
  };

  onResponseHead(response: ResponseHead, raw: Buffer | undefined): void {
    this.#responseStarted = true;
    if (this.#core.observer !== undefined) this.#observe(response.status, this.#group?.config.id, true, this.#group?.eligible.length);
    const head = this.#head!;
    let extra = '';
    if (this.#cookies !== undefined) for (const c of this.#cookies) extra += `Set-Cookie: ${c}\r\n`;
    const bodyless = head.method === 'HEAD' || response.status === 204 || response.status === 304;
    let text = response.text;
    if (!bodyless && !response.chunked && response.contentLength < 0) this.#closeAfter = true;
    if (head.minor === 0) {
      if (response.chunked && !bodyless) {
        // An HTTP/1.0 client cannot read chunks: the body goes out de-chunked, delimited by close.
        this.#dechunk = new ChunkTracker();
        this.#closeAfter = true;
        text = text.replace(/^transfer-encoding:[^\r]*\r\n/im, '');
      }
      if (!this.#closeAfter) extra += 'Connection: keep-alive\r\n';
    }
    if (this.#closeAfter) extra += 'Connection: close\r\n';
    // The head is held until the first body bytes, so that a small response leaves in one write.
    if (raw !== undefined && extra === '' && text === response.text) this.#heldRaw = raw;
    else this.#heldHead = `${text}${extra}\r\n`;
  }

  /** Writes a held response head (when no body bytes came with it). */
  #flushHead(): void {
    if (this.#heldRaw !== undefined) {
      this.clientSocket.write(this.#heldRaw);
      this.#heldRaw = undefined;
    } else if (this.#heldHead !== undefined) {
      this.clientSocket.write(this.#heldHead, 'latin1');
      this.#heldHead = undefined;
    }
  }

  onResponseBody(buf: Buffer, start: number, end: number): void {
    if (start === end) return;
    const socket = this.clientSocket;
    const raw = this.#heldRaw;
    if (raw !== undefined && this.#dechunk === undefined && raw.buffer === buf.buffer && raw.byteOffset + raw.length === buf.byteOffset + start) {
      // Head and body are adjacent in the bytes the target sent: one write, no copy.
      this.#heldRaw = undefined;
      this.#writeBody(buf.subarray(start - raw.length, end));
      return;
    }
    const head = this.#heldHead;
    if (head !== undefined && this.#dechunk === undefined && end - start <= 16384) {
      this.#heldHead = undefined;
      const out = Buffer.allocUnsafe(head.length + end - start);
      out.write(head, 0, 'latin1');
      buf.copy(out, head.length, start, end);
      this.#writeBody(out);
      return;
    }
    this.#flushHead();
    if (this.#dechunk !== undefined) {
      this.#dechunk.feed(buf, start, end, (b, s, e) => socket.write(b.subarray(s, e)));
      return;
    }
    this.#writeBody(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }

  #writeBody(chunk: Buffer): void {
    const socket = this.clientSocket;
    if (!socket.write(chunk)) {
      this.#upstream?.socket.pause();
      socket.once('drain', this.#onClientDrain);
    }
  }

  onResponseEnd(up: UpstreamConnection, reusable: boolean): void {
    this.#flushHead();
    this.#upstream = undefined;
    if (reusable && this.#requestDone) up.pool.release(up);
    else {
      up.destroy();
      up.pool.forget(up);
    }
    if (up.socket.isPaused()) up.socket.resume();
    this.#finishExchange();
  }

  onUpstreamFailure(up: UpstreamConnection, error: Error, timeout: boolean): void {
    this.#upstream = undefined;
    const head = this.#head;
    if (head !== undefined && !timeout && !up.gotBytes && up.served > 0 && !this.#retried && !hasBody(head) && this.#state === AWAIT_RESPONSE) {
      // A reused keep-alive connection that the target had already closed: retry once on a new one.
      this.#retried = true;
      const fresh = up.pool.fresh();
      this.#upstream = fresh;
      fresh.attach(this, head.method === 'HEAD');
      fresh.socket.write(this.#upstreamHead, 'latin1');
      return;
    }
    this.#core.reportError(error, this.#listener.config.id, this.#target?.key);
    // A head still held back was never sent: the client can still get a clean 502.
    const sent = this.#responseStarted && this.#heldRaw === undefined && this.#heldHead === undefined;
    if (sent || this.#state === CLOSED) {
      this.#endExchange();
      this.clientSocket.destroy();
      return;
    }
    if (!this.#requestDone) this.#closeAfter = true;
    this.#endExchange();
    this.#state = HEAD;
    const status = timeout ? 504 : 502;
    this.#head = head;
    this.#respond(status, '', errorPage(status), 'text/html');
    this.#continue();
  }

  /** Releases the target's in-flight slot and forgets the exchange. */
  #endExchange(): void {
    this.#heldRaw = undefined;
    this.#heldHead = undefined;
    const target = this.#target;
    if (target !== undefined) {
      this.#target = undefined;
      this.#group!.release(target);
    }
    this.#group = undefined;
    this.#cookies = undefined;
    this.#dechunk = undefined;
  }

  #finishExchange(): void {
    this.#endExchange();
    this.#head = undefined;
    if (this.#closeAfter || !this.#requestDone) {
      this.#state = CLOSED;
      this.#pending = undefined;
      this.clientSocket.end();
      return;
    }
    this.#state = HEAD;
    this.#continue();
  }

  /** Goes on with pipelined requests and reading. */
  #continue(): void {
    if (this.#state !== HEAD) return;
    if (this.#pending !== undefined) this.#processHeads();
    if (this.#state === HEAD) this.#resume();
  }

  #startLambda(head: RequestHead, group: TargetGroupRuntime): void {
    if (this.#core.observer !== undefined) this.#forwardedAt = performance.now();
    this.#group = group;
    this.#collected = [];
    this.#requestDone = !hasBody(head);
    this.#reqRemaining = head.chunked ? 0 : Math.max(head.contentLength, 0);
    if (head.chunked) (this.#reqTracker ??= new ChunkTracker()).reset();
    this.#state = COLLECT;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined && !this.#requestDone) this.#collect(pending);
    else {
      if (pending !== undefined) this.#pending = pending;
      this.#collect(Buffer.alloc(0));
    }
  }

  #collect(buf: Buffer): void {
    const head = this.#head!;
    if (!this.#requestDone && buf.length > 0) {
      let stop: number;
      if (head.chunked) {
        const end = this.#reqTracker!.feed(buf, 0, buf.length, (b, s, e) => this.#collected.push(Buffer.from(b.subarray(s, e))));
        stop = end < 0 ? buf.length : end;
        if (end >= 0) this.#requestDone = true;
      } else {
        stop = Math.min(this.#reqRemaining, buf.length);
        this.#collected.push(Buffer.from(buf.subarray(0, stop)));
        this.#reqRemaining -= stop;
        if (this.#reqRemaining === 0) this.#requestDone = true;
      }
      if (stop < buf.length) this.#pending = buf.subarray(stop);
    }
    if (!this.#requestDone) return;
    this.#state = LAMBDA;
    if (this.#pending !== undefined) this.#pause();
    const group = this.#group!;
    const ip = this.#remoteAddress;
    const event = lambdaEvent(group.config, head, Buffer.concat(this.#collected), {
      'x-forwarded-for': head.forwardedFor === undefined ? ip : `${head.forwardedFor}, ${ip}`,
      'x-forwarded-proto': this.#listener.proto,
      'x-forwarded-port': this.#listener.portText,
    });
    this.#collected = [];
    group.config.invoke!(event).then(
      (result) => {
        if (this.#state !== LAMBDA) return;
        const { status, headers, body } = lambdaResponse(result);
        let extra = '';
        for (let i = 0; i < headers.length; i += 2) extra += `${headers[i]}: ${headers[i + 1]}\r\n`;
        this.#group = undefined;
        this.#state = HEAD;
        this.#respond(status, extra, body, undefined, group.config.id);
        this.#continue();
      },
      (error: unknown) => {
        if (this.#state !== LAMBDA) return;
        this.#core.reportError(error, this.#listener.config.id);
        this.#group = undefined;
        this.#state = HEAD;
        this.#answer(502);
        this.#continue();
      },
    );
  }

  /** WebSocket and other upgrades: a raw tunnel to one target for the rest of the connection. */
  #tunnel(head: RequestHead, action: ActionConfig | undefined): void {
    if (action === undefined || action.type !== 'forward') {
      this.#closeAfter = true;
      return this.#answer(action === undefined ? 503 : 400);
    }
    const group = this.#chooseGroup(head, action);
    const target = group === undefined || group.config.invoke !== undefined ? undefined : this.#pickTarget(head, group);
    if (group === undefined || target === undefined) {
      this.#closeAfter = true;
      return this.#answer(503);
    }
    this.#state = TUNNEL;
    const pending = this.#pending;
    this.#pending = undefined;
    const client = this.clientSocket;
    client.removeListener('data', this.#onData);
    // Paused until the target is connected (pipe resumes it), so that no byte is read without a reader.
    client.pause();
    client.setTimeout(0);
    openTunnel(client, pending, this.#buildHead(head, true), group, target, (error) => this.#core.reportError(error, this.#listener.config.id, target.key));
  }
}
