// The runtime of one target group inside a data plane: its targets, their health state machine
// (initial → healthy/unhealthy, draining on deregistration), and target selection (round robin,
// least outstanding requests, cookie stickiness). Shared by the HTTP and the TCP data planes; how a
// target is probed and how its connections are kept belong to the caller.
import type { HealthCheckConfig, HealthReason, HealthState, TargetConfig, TargetGroupConfig, TargetHealthReport } from './config.js';

/** A probe's verdict: `ok`, or why it failed. */
export type ProbeResult = { ok: true } | { ok: false; kind: 'mismatch' | 'timeout' | 'failed'; detail: string };

export type Probe = (target: TargetRuntime, check: HealthCheckConfig, signal: AbortSignal) => Promise<ProbeResult>;

export interface TargetGroupHooks {
  probe: Probe;
  /** Called once a target has left the group for good (drained or replaced): close its connections. */
  onTargetRemoved?(target: TargetRuntime): void;
}

/** One registered target. `data` belongs to the data plane (its connection pool). */
export class TargetRuntime {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly key: string;
  /** Value of the AWSALB stickiness cookie that points at this target. */
  readonly cookie: string;
  state: HealthState = 'initial';
  reason: HealthReason | undefined = 'Elb.RegistrationInProgress';
  description: string | undefined = 'Target registration is in progress';
  /** Requests (HTTP) or connections (TCP) now being served by this target. */
  inFlight = 0;
  okStreak = 0;
  failStreak = 0;
  draining = false;
  data: unknown = undefined;
  timer: NodeJS.Timeout | undefined;
  drainTimer: NodeJS.Timeout | undefined;
  probing: AbortController | undefined;

  constructor(config: TargetConfig, groupId: string) {
    this.id = config.id;
    this.host = config.host;
    this.port = config.port;
    this.key = `${config.id}:${config.port}`;
    this.cookie = Buffer.from(`${groupId}|${this.key}`).toString('base64url');
  }
}

export class TargetGroupRuntime {
  config: TargetGroupConfig;
  readonly targets = new Map<string, TargetRuntime>();
  /** Targets that may receive new traffic, rebuilt on every state change. */
  eligible: TargetRuntime[] = [];
  readonly #byCookie = new Map<string, TargetRuntime>();
  readonly #hooks: TargetGroupHooks;
  #rr = 0;
  #inUse = false;
  #closed = false;

  constructor(config: TargetGroupConfig, hooks: TargetGroupHooks) {
    this.config = config;
    this.#hooks = hooks;
    this.update(config);
  }

  get inUse(): boolean {
    return this.#inUse;
  }

  /** A target group starts health checks only once a listener routes to it. */
  setInUse(inUse: boolean): void {
    if (inUse === this.#inUse) return;
    this.#inUse = inUse;
    for (const t of this.targets.values()) {
      if (t.draining) continue;
      if (inUse) this.#startChecking(t);
      else {
        this.#stopChecking(t);
        t.state = 'initial';
        t.reason = 'Elb.RegistrationInProgress';
        t.okStreak = t.failStreak = 0;
      }
    }
    this.#rebuild();
  }

  /** Applies a new configuration: new targets register, missing ones start draining. */
  update(config: TargetGroupConfig): void {
    const previousCheck = JSON.stringify(this.config.healthCheck);
    this.config = config;
    const wanted = new Set<string>();
    for (const tc of config.targets) {
      const key = `${tc.id}:${tc.port}`;
      wanted.add(key);
      const existing = this.targets.get(key);
      if (existing && !existing.draining && existing.host === tc.host) continue;
      if (existing) this.#remove(existing);
      const t = new TargetRuntime(tc, config.id);
      this.targets.set(key, t);
      this.#byCookie.set(t.cookie, t);
      if (this.#inUse) this.#startChecking(t);
    }
    for (const t of this.targets.values()) {
      if (!wanted.has(t.key) && !t.draining) this.#drain(t);
    }
    if (JSON.stringify(config.healthCheck) !== previousCheck) {
      for (const t of this.targets.values()) if (!t.draining && this.#inUse) this.#startChecking(t, true);
    }
    this.#rebuild();
  }

  /** Picks a target for new traffic (round robin or least outstanding requests); undefined when none is eligible. */
  pick(): TargetRuntime | undefined {
    const list = this.eligible;
    const n = list.length;
    if (n === 0) return undefined;
    if (n === 1) return list[0];
    const start = this.#rr++ % n;
    if (this.#rr > 1e9) this.#rr = 0;
    if (this.config.algorithm !== 'least_outstanding_requests') return list[start];
    let best = list[start]!;
    for (let i = 1; i < n; i++) {
      const t = list[(start + i) % n]!;
      if (t.inFlight < best.inFlight) best = t;
    }
    return best;
  }

  /** Picks by a 32-bit flow hash (NLB): the same flow always lands on the same eligible target. */
  pickByHash(hash: number): TargetRuntime | undefined {
    const list = this.eligible;
    if (list.length === 0) return undefined;
    return list[hash % list.length];
  }

  /** The target a stickiness cookie points at, if it can still take traffic. */
  byCookie(cookie: string): TargetRuntime | undefined {
    const t = this.#byCookie.get(cookie);
    return t !== undefined && !t.draining && (t.state === 'healthy' || t.state === 'unavailable') ? t : undefined;
  }

  /** Marks the end of one request/connection on a target; completes draining when it was the last. */
  release(t: TargetRuntime): void {
    t.inFlight--;
    if (t.draining && t.inFlight <= 0) this.#remove(t);
  }

  health(): TargetHealthReport[] {
    const out: TargetHealthReport[] = [];
    for (const t of this.targets.values()) out.push(this.#report(t));
    return out;
  }

  #report(t: TargetRuntime): TargetHealthReport {
    if (t.draining) {
      return { id: t.id, port: t.port, state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' };
    }
    if (!this.#inUse) {
      return { id: t.id, port: t.port, state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' };
    }
    if (!this.config.healthCheck.enabled) {
      return { id: t.id, port: t.port, state: 'unavailable', reason: 'Target.HealthCheckDisabled', description: 'Health checks are disabled' };
    }
    const r: TargetHealthReport = { id: t.id, port: t.port, state: t.state };
    if (t.reason !== undefined) r.reason = t.reason;
    if (t.description !== undefined) r.description = t.description;
    return r;
  }

  close(): void {
    this.#closed = true;
    for (const t of [...this.targets.values()]) this.#remove(t);
    this.eligible = [];
  }

  #rebuild(): void {
    const hcOff = !this.config.healthCheck.enabled;
    const list: TargetRuntime[] = [];
    if (this.#inUse) {
      for (const t of this.targets.values()) {
        if (!t.draining && (hcOff || t.state === 'healthy')) list.push(t);
      }
    }
    this.eligible = list;
  }

  #drain(t: TargetRuntime): void {
    this.#stopChecking(t);
    t.draining = true;
    this.#rebuild();
    if (t.inFlight <= 0) {
      this.#remove(t);
      return;
    }
    t.drainTimer = setTimeout(() => this.#remove(t), this.config.deregistrationDelaySeconds * 1000);
    t.drainTimer.unref();
  }

  #remove(t: TargetRuntime): void {
    this.#stopChecking(t);
    if (t.drainTimer) clearTimeout(t.drainTimer);
    t.drainTimer = undefined;
    if (this.targets.get(t.key) === t) this.targets.delete(t.key);
    if (this.#byCookie.get(t.cookie) === t) this.#byCookie.delete(t.cookie);
    t.draining = true;
    this.#rebuild();
    this.#hooks.onTargetRemoved?.(t);
  }

  #stopChecking(t: TargetRuntime): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    t.probing?.abort();
    t.probing = undefined;
  }

  #startChecking(t: TargetRuntime, keepState = false): void {
    this.#stopChecking(t);
    if (!keepState) {
      t.state = 'initial';
      t.reason = 'Elb.RegistrationInProgress';
      t.description = 'Target registration is in progress';
      t.okStreak = t.failStreak = 0;
    }
    if (!this.config.healthCheck.enabled) return;
    // The first probe runs at once, so that a new target can take traffic quickly.
    this.#schedule(t, 0);
  }

  #schedule(t: TargetRuntime, delayMs: number): void {
    t.timer = setTimeout(() => void this.#runProbe(t), delayMs);
    t.timer.unref();
  }

  async #runProbe(t: TargetRuntime): Promise<void> {
    t.timer = undefined;
    if (this.#closed || t.draining || !this.#inUse) return;
    const check = this.config.healthCheck;
    const controller = new AbortController();
    t.probing = controller;
    let result: ProbeResult;
    try {
      result = await this.#hooks.probe(t, check, controller.signal);
    } catch (error) {
      result = { ok: false, kind: 'failed', detail: String(error) };
    }
    if (controller.signal.aborted || t.probing !== controller) return;
    t.probing = undefined;
    this.#record(t, result, check);
    // While a target is still initial it is probed at least every second (see the provider's
    // limitations), so that a new task can receive traffic without waiting for whole intervals.
    const interval = check.intervalSeconds * 1000;
    this.#schedule(t, t.state === 'initial' ? Math.min(interval, 1000) : interval);
  }

  #record(t: TargetRuntime, result: ProbeResult, check: HealthCheckConfig): void {
    const before = t.state;
    if (result.ok) {
      t.failStreak = 0;
      t.okStreak++;
      if (t.state !== 'healthy' && t.okStreak >= check.healthyThreshold) {
        t.state = 'healthy';
        t.reason = undefined;
        t.description = undefined;
      } else if (t.state === 'initial') {
        t.reason = 'Elb.InitialHealthChecking';
        t.description = 'Initial health checks in progress';
      }
    } else {
      t.okStreak = 0;
      t.failStreak++;
      if (t.state === 'initial' && t.failStreak < check.unhealthyThreshold) {
        t.reason = 'Elb.InitialHealthChecking';
        t.description = 'Initial health checks in progress';
      } else if (t.failStreak >= check.unhealthyThreshold || t.state === 'unhealthy') {
        t.state = 'unhealthy';
        if (result.kind === 'mismatch') {
          t.reason = 'Target.ResponseCodeMismatch';
          t.description = `Health checks failed with these codes: [${result.detail}]`;
        } else if (result.kind === 'timeout') {
          t.reason = 'Target.Timeout';
          t.description = 'Request timed out';
        } else {
          t.reason = 'Target.FailedHealthChecks';
          t.description = 'Health checks failed';
        }
      }
    }
    if (t.state !== before) this.#rebuild();
  }
}
