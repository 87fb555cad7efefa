// Brings the database engines in line with the RDS records: provisions and starts an engine for each
// standalone DB instance and each DB cluster, takes snapshots, applies password changes, reboots,
// stops, starts and deletes, and restarts an engine whose process died (with backoff). It runs on
// the node that leads `rds:engines` (the only node on the embedded store), after every change any
// node makes (the `rds.changed` signal). Each owner (instance or cluster) has one worker at a time;
// different owners progress in parallel.
import { existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger, StorageBackend } from '@atoll/core';
import { LdapBindServer } from './iam-auth/ldap-bind-server.js';
import { verifyToken, type SignedRequestAuthorizer } from './iam-auth/iam-token.js';
import { RestartBackoff, SupervisedProcess, killLeftoverProcessGroup, processGroupRss, type ProcessIdentity } from '@atoll/supervisor';
import type { EngineCatalog } from './engines/engine-catalog.js';
import type { EngineLayout, ProcessEngineDriver } from './engines/engine-driver.js';
import { EmbeddedPostgres } from './engines/embedded-postgres.js';
import type { RdsStore } from './rds-store.js';
import type { ClusterRecord, EngineSettings, InstanceRecord, InstanceStatus, SnapshotRecord } from './records.js';

type OwnerKind = 'instance' | 'cluster';
type OwnerRecord = InstanceRecord | ClusterRecord;

interface RunningEngine {
  settings: EngineSettings;
  process?: SupervisedProcess;
  embedded?: EmbeddedPostgres;
  ready: Promise<void>;
  stopping: boolean;
  startedAt: number;
}

/** Statuses in which an owner's engine should run. */
const RUNNING_STATES = new Set<InstanceStatus>(['available', 'backing-up', 'modifying', 'resetting-master-credentials', 'rebooting', 'starting', 'deleting']);

export class EngineHost {
  readonly #store: RdsStore;
  readonly #catalog: EngineCatalog;
  readonly #logger: Logger;
  readonly #engineDir: string;
  readonly #snapshotDir: string;
  readonly #running = new Map<string, RunningEngine>();
  readonly #busy = new Map<string, Promise<void>>();
  readonly #dirty = new Set<string>();
  readonly #backoff = new RestartBackoff({ baseMs: 500, maxMs: 30_000 });
  #active = false;
  #closed = false;
  readonly #authorize: SignedRequestAuthorizer | undefined;
  #ldap: { server: LdapBindServer; port: Promise<number> } | undefined;

  constructor(store: RdsStore, catalog: EngineCatalog, logger: Logger, dataDir: string, storage: StorageBackend, authorize?: SignedRequestAuthorizer) {
    this.#authorize = authorize;
    this.#store = store;
    this.#catalog = catalog;
    this.#logger = logger;
    this.#engineDir = join(dataDir, 'rds', 'engines');
    this.#snapshotDir = join(storage.blobDir, 'rds', 'snapshots');
  }

  /** Where a snapshot's files live (the shared blob directory). */
  snapshotPath(snapshot: { accountId: string; region: string; kind: OwnerKind; id: string }): string {
    return join(this.#snapshotDir, snapshot.accountId, snapshot.region, `${snapshot.kind}-${snapshot.id}`);
  }

  layout(kind: OwnerKind, owner: { accountId: string; region: string; id: string }): EngineLayout {
    const root = join(this.#engineDir, owner.accountId, owner.region, `${kind}-${owner.id}`);
    let run = join(root, 'run');
    // Unix socket paths are limited to 107 bytes (`/.s.PGSQL.65535.lock` takes 20): long data
    // directories get their sockets in /tmp.
    if (run.length + 20 > 107) run = join('/tmp', `atoll-rds-${Buffer.from(root).toString('base64url').slice(-24)}`);
    return { root, data: join(root, 'data'), run };
  }

  /** Starts following the records (the leader's loop). */
  activate(): void {
    this.#active = true;
    this.kick();
  }

  /** Stops every engine (leadership lost, or shutdown). */
  async deactivate(): Promise<void> {
    this.#active = false;
    await Promise.allSettled([...this.#busy.values()]);
    await Promise.allSettled([...this.#running.keys()].map((key) => this.#stopEngine(key)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.deactivate();
    if (this.#ldap) await this.#ldap.server.close();
  }

  /**
   * The settings an owner's engine starts with: its stored ones, plus the LDAP bind verifier (started
   * on first use) when IAM database authentication is enabled on a PostgreSQL server.
   */
  async #runtime<T extends OwnerRecord>(owner: T): Promise<T> {
    if (!owner.iamDatabaseAuthenticationEnabled || owner.engine.runtime !== 'process' || owner.engine.family !== 'postgres' || !this.#authorize) return owner;
    if (!this.#ldap) {
      const server = new LdapBindServer((dn, token) => this.#verifyBind(dn, token));
      this.#ldap = { server, port: server.listen() };
      this.#ldap.port.catch(() => (this.#ldap = undefined));
    }
    return { ...owner, engine: { ...owner.engine, iamLdap: { port: await this.#ldap.port, prefix: `${owner.resourceId}/` } } };
  }

  /** An LDAP bind from an engine: DN `<resourceId>/<user>`, password the IAM token. */
  async #verifyBind(dn: string, token: string): Promise<boolean> {
    const slash = dn.indexOf('/');
    const resourceId = dn.slice(0, slash);
    const user = dn.slice(slash + 1);
    const [instances, clusters] = await Promise.all([this.#store.instances.all(), this.#store.clusters.all()]);
    const owner = [...instances, ...clusters].find((o) => o.resourceId === resourceId && !('clusterId' in o && o.clusterId));
    if (!owner?.iamDatabaseAuthenticationEnabled || !this.#authorize) return false;
    return verifyToken({ accountId: owner.accountId, region: owner.region, resourceId, port: owner.engine.port }, user, token, this.#authorize);
  }

  /** Reconciles every owner (after a change signal). */
  kick(): void {
    if (!this.#active || this.#closed) return;
    void this.#reconcileAll().catch((error) => this.#logger.error({ err: error }, 'rds: reconcile failed'));
  }

  /** The resident memory of an owner's engine process group (bench and DescribeDBInstances do not need it). */
  memoryOf(kind: OwnerKind, owner: { accountId: string; region: string; id: string }): number | undefined {
    const pid = this.#running.get(this.#key(kind, owner))?.process?.pid;
    return pid === undefined ? undefined : processGroupRss(pid);
  }

  /** A read replica's replay lag in seconds, measured on its engine (undefined when it does not run here). */
  async replicaLag(replica: InstanceRecord): Promise<number | undefined> {
    const entry = this.#running.get(this.#key('instance', replica));
    if (!entry?.process || !replica.replicaOf) return undefined;
    const driver = this.#catalog.driver(replica.engine.family, replica.engine.engineVersion);
    return driver.replicaLag?.(this.layout('instance', replica), replica.engine);
  }

  #key(kind: OwnerKind, owner: { accountId: string; region: string; id: string }): string {
    return `${kind}/${owner.accountId}/${owner.region}/${owner.id}`;
  }

  async #reconcileAll(): Promise<void> {
    const [instances, clusters] = await Promise.all([this.#store.instances.all(), this.#store.clusters.all()]);
    const wanted = new Set<string>();
    for (const cluster of clusters) {
      wanted.add(this.#key('cluster', cluster));
      this.#schedule('cluster', cluster);
    }
    for (const instance of instances) {
      if (instance.clusterId) {
        await this.#followCluster(instance, clusters);
        continue;
      }
      wanted.add(this.#key('instance', instance));
      this.#schedule('instance', instance);
    }
    for (const key of this.#running.keys()) {
      if (!wanted.has(key) && !this.#busy.has(key)) void this.#stopEngine(key);
    }
  }

  /** Cluster members share the cluster's engine: their status follows it. */
  async #followCluster(instance: InstanceRecord, clusters: ClusterRecord[]): Promise<void> {
    const cluster = clusters.find((c) => c.accountId === instance.accountId && c.region === instance.region && c.id === instance.clusterId);
    let status: InstanceStatus | undefined;
    if (instance.status === 'deleting') {
      await this.#store.instances.delete(instance.accountId, instance.region, instance.id);
      return;
    }
    if (!cluster) status = 'failed';
    else if (cluster.status === 'available' && (instance.status === 'creating' || instance.status === 'rebooting' || instance.status === 'modifying')) status = 'available';
    else if (cluster.status === 'stopped' || cluster.status === 'stopping' || cluster.status === 'starting') status = cluster.status;
    else if (cluster.status === 'available' && (instance.status === 'stopped' || instance.status === 'starting')) status = 'available';
    if (status && status !== instance.status) {
      await this.#store.instances.update(instance.accountId, instance.region, instance.id, (current) => ({ ...current, status: status! }));
    }
  }

  #schedule(kind: OwnerKind, owner: OwnerRecord): void {
    const key = this.#key(kind, owner);
    if (this.#busy.has(key)) {
      this.#dirty.add(key);
      return;
    }
    const work = (async () => {
      do {
        this.#dirty.delete(key);
        try {
          await this.#reconcileOne(kind, owner.accountId, owner.region, owner.id);
        } catch (error) {
          this.#logger.error({ err: error, owner: key }, 'rds: engine work failed');
        }
      } while (this.#dirty.has(key) && this.#active);
    })();
    this.#busy.set(key, work);
    void work.finally(() => this.#busy.delete(key));
  }

  #table(kind: OwnerKind) {
    return (kind === 'instance' ? this.#store.instances : this.#store.clusters) as unknown as RdsStore['instances'];
  }

  async #setStatus(kind: OwnerKind, owner: OwnerRecord, status: InstanceStatus, change: (r: InstanceRecord) => Partial<InstanceRecord> = () => ({})): Promise<void> {
    await this.#table(kind).update(owner.accountId, owner.region, owner.id, (current) => ({ ...current, ...change(current), status }));
  }

  async #reconcileOne(kind: OwnerKind, accountId: string, region: string, id: string): Promise<void> {
    if (!this.#active) return;
    const stored = (await this.#table(kind).get(accountId, region, id)) as OwnerRecord | undefined;
    const key = `${kind}/${accountId}/${region}/${id}`;
    if (!stored) {
      await this.#stopEngine(key);
      return;
    }
    const owner = await this.#runtime(stored);
    const layout = this.layout(kind, owner);
    try {
      switch (owner.status) {
        case 'creating': {
          await this.#provision(kind, owner, layout);
          await this.#setStatus(kind, owner, 'backing-up');
          await this.#setStatus(kind, owner, 'available', () => ({ lastError: undefined, pending: undefined }));
          break;
        }
        case 'stopping':
          await this.#stopEngine(key);
          await this.#setStatus(kind, owner, 'stopped');
          break;
        case 'stopped':
        case 'failed':
          await this.#stopEngine(key);
          break;
        case 'rebooting':
          await this.#stopEngine(key);
          await this.#ensureRunning(key, owner.engine, layout);
          await this.#setStatus(kind, owner, 'available', (r) => ({ pending: r.pending ? { ...r.pending, reboot: undefined } : undefined }));
          break;
        case 'deleting':
          await this.#delete(kind, key, owner, layout);
          return;
        default: {
          if (!RUNNING_STATES.has(owner.status)) break;
          await this.#ensureRunning(key, owner.engine, layout);
          const running = this.#running.get(key);
          if (running?.process && Boolean(running.settings.iamLdap) !== Boolean(owner.engine.iamLdap)) {
            // IAM database authentication was switched: it applies at once (login rules reloaded).
            await this.#catalog.driver(owner.engine.family, owner.engine.engineVersion).applyAccess?.(layout, owner.engine);
            running.settings = owner.engine;
          }
          const promote = owner.pending?.promote === true;
          if (promote) await this.#catalog.driver(owner.engine.family, owner.engine.engineVersion).promote?.(layout, owner.engine);
          const password = owner.pending?.masterPassword;
          if (password !== undefined) {
            await this.#setPassword(key, owner.engine, layout, password);
          }
          await this.#takeSnapshots(kind, key, owner, layout);
          if (owner.status !== 'available' || password !== undefined || promote) {
            await this.#setStatus(kind, owner, 'available', (r) => ({
              engine: password !== undefined ? { ...r.engine, masterPassword: password } : r.engine,
              pending: r.pending ? { ...r.pending, masterPassword: undefined, promote: undefined } : undefined,
              ...(promote ? { replicaOf: undefined } : {}),
            }));
          }
        }
      }
      this.#backoff.recordSuccess(key);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#logger.error({ err: error, owner: key }, 'rds: engine failed');
      if (owner.status === 'creating' || owner.status === 'starting') await this.#setStatus(kind, owner, 'failed', () => ({ lastError: message }));
      else throw error;
    }
  }

  async #provision(kind: OwnerKind, owner: OwnerRecord, layout: EngineLayout): Promise<void> {
    const key = this.#key(kind, owner);
    await this.#stopEngine(key);
    const restoreFrom = owner.pending?.restoreFromSnapshot;
    const snapshot = restoreFrom ? await this.#store.snapshots.get(owner.accountId, owner.region, restoreFrom) : undefined;
    if (restoreFrom && !snapshot) throw new Error(`snapshot ${restoreFrom} is gone`);
    const snapshotDir = snapshot ? this.snapshotPath(snapshot) : undefined;
    if (owner.engine.runtime === 'pglite') {
      rmSync(layout.root, { recursive: true, force: true });
      mkdirSync(layout.root, { recursive: true });
      await this.#ensureRunning(key, owner.engine, layout, { snapshotDir, fresh: true });
      return;
    }
    const driver = this.#catalog.driver(owner.engine.family, owner.engine.engineVersion);
    const replicaOf = kind === 'instance' ? (owner as InstanceRecord).replicaOf : undefined;
    if (replicaOf) {
      // A read replica: a streaming copy of its running source; users and passwords come with it.
      const source = await this.#store.instances.get(owner.accountId, owner.region, replicaOf);
      if (!source) throw new Error(`the source instance ${replicaOf} is gone`);
      if (!this.#running.has(this.#key('instance', source))) throw new Error(`the source instance ${replicaOf} is not running`);
      if (!driver.createReplica) throw new Error(`${owner.engine.engine} read replicas are not supported`);
      await driver.createReplica(layout, { layout: this.layout('instance', source), settings: source.engine });
      await this.#ensureRunning(key, owner.engine, layout);
      return;
    }
    if (snapshotDir) await driver.restore(layout, snapshotDir, owner.engine);
    else await driver.provision(layout, owner.engine);
    await this.#ensureRunning(key, owner.engine, layout);
    if (snapshotDir) await driver.afterRestore?.(layout, owner.engine, snapshotDir);
    else await driver.configure(layout, owner.engine);
  }

  async #ensureRunning(key: string, settings: EngineSettings, layout: EngineLayout, embedded: { snapshotDir?: string; fresh?: boolean } = {}): Promise<void> {
    const existing = this.#running.get(key);
    if (existing && !existing.stopping) {
      await existing.ready;
      return;
    }
    if (settings.runtime === 'pglite') {
      const engine = new EmbeddedPostgres(layout.data, settings, this.#logger, join(this.#engineDir, '.spare-pglite'));
      const entry: RunningEngine = { settings, embedded: engine, ready: engine.start(embedded), stopping: false, startedAt: Date.now() };
      this.#running.set(key, entry);
      try {
        await entry.ready;
      } catch (error) {
        this.#running.delete(key);
        throw error;
      }
      return;
    }
    const driver = this.#catalog.driver(settings.family, settings.engineVersion);
    if (!existsSync(layout.data)) throw new Error(`the engine's data directory ${layout.data} is missing`);
    this.#killLeftover(layout);
    driver.prepareRun(layout);
    const spec = driver.processSpec(layout, settings);
    let markReady!: () => void;
    let failReady!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    const tail: string[] = [];
    const log = this.#logger.child({ engine: key });
    const process = new SupervisedProcess({
      ...spec,
      log: (event) => {
        tail.push(event.message);
        if (tail.length > 20) tail.shift();
        log.debug({ stream: event.stream }, event.message);
        if (spec.ready.test(event.message)) markReady();
      },
    });
    const entry: RunningEngine = { settings, process, ready, stopping: false, startedAt: Date.now() };
    this.#running.set(key, entry);
    void process.exited.then((exit) => {
      failReady(new Error(`the engine exited (code ${exit.exitCode}) before it was ready: ${tail.slice(-5).join(' | ')}`));
      if (this.#running.get(key) !== entry) return;
      this.#running.delete(key);
      if (entry.stopping || !this.#active) return;
      const delay = this.#backoff.recordFailure(key);
      log.warn({ exitCode: exit.exitCode, delayMs: delay }, 'rds: engine process died; restarting');
      setTimeout(() => this.kick(), delay).unref();
    });
    await process.start();
    writeFileSync(join(layout.root, 'engine.pid.json'), JSON.stringify(process.identity ?? {}));
    const timer = setTimeout(() => failReady(new Error('the engine did not become ready within 60 s')), 60_000);
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills an engine left running by a platform that crashed (same pid and start time only). */
  #killLeftover(layout: EngineLayout): void {
    try {
      const identity = JSON.parse(readFileSync(join(layout.root, 'engine.pid.json'), 'utf8')) as ProcessIdentity;
      if (identity.pid && killLeftoverProcessGroup(identity)) this.#logger.warn({ pid: identity.pid }, 'rds: killed a leftover engine process');
    } catch {
      // nothing recorded
    }
  }

  async #stopEngine(key: string): Promise<void> {
    const entry = this.#running.get(key);
    if (!entry) return;
    entry.stopping = true;
    try {
      if (entry.process) await entry.process.stop();
      if (entry.embedded) await entry.embedded.stop();
    } finally {
      if (this.#running.get(key) === entry) this.#running.delete(key);
      const [kind, accountId, region, id] = key.split('/') as [OwnerKind, string, string, string];
      const layout = this.layout(kind, { accountId, region, id });
      if (!layout.run.startsWith(layout.root)) rmSync(layout.run, { recursive: true, force: true });
    }
  }

  async #setPassword(key: string, settings: EngineSettings, layout: EngineLayout, password: string): Promise<void> {
    const entry = this.#running.get(key);
    if (entry?.embedded) {
      entry.embedded.setPassword(password);
      return;
    }
    await this.#catalog.driver(settings.family, settings.engineVersion).setMasterPassword(layout, settings, password);
  }

  async #backup(key: string, settings: EngineSettings, layout: EngineLayout, snapshot: SnapshotRecord): Promise<void> {
    const dir = this.snapshotPath(snapshot);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, '..'), { recursive: true });
    const entry = this.#running.get(key);
    if (entry?.embedded) await entry.embedded.backup(dir);
    else await (this.#catalog.driver(settings.family, settings.engineVersion) as ProcessEngineDriver).backup(layout, settings, dir);
  }

  async #takeSnapshots(kind: OwnerKind, key: string, owner: OwnerRecord, layout: EngineLayout): Promise<void> {
    const snapshots = await this.#store.snapshots.list(owner.accountId, owner.region);
    for (const snapshot of snapshots) {
      if (snapshot.status !== 'creating' || snapshot.kind !== kind || snapshot.sourceId !== owner.id) continue;
      let status: SnapshotRecord['status'] = 'available';
      let lastError: string | undefined;
      try {
        await this.#backup(key, owner.engine, layout, snapshot);
      } catch (error) {
        status = 'failed';
        lastError = error instanceof Error ? error.message : String(error);
        this.#logger.error({ err: error, snapshot: snapshot.id }, 'rds: snapshot failed');
      }
      await this.#store.snapshots.update(snapshot.accountId, snapshot.region, snapshot.id, (s) => ({ ...s, status, lastError }));
    }
  }

  async #delete(kind: OwnerKind, key: string, owner: OwnerRecord, layout: EngineLayout): Promise<void> {
    const finalId = owner.pending?.finalSnapshotId;
    if (finalId) {
      try {
        await this.#ensureRunning(key, owner.engine, layout);
        await this.#takeSnapshots(kind, key, owner, layout);
      } catch (error) {
        this.#logger.error({ err: error, owner: key }, 'rds: final snapshot failed');
      }
    }
    await this.#stopEngine(key);
    rmSync(layout.root, { recursive: true, force: true });
    if (!layout.run.startsWith(layout.root)) rmSync(layout.run, { recursive: true, force: true });
    await this.#table(kind).delete(owner.accountId, owner.region, owner.id);
  }
}
