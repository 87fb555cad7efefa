// The fleet: makes the running engine processes match the store. It runs on the node that leads
// `elasticache:fleet` (once across nodes) and reconciles on every change signal, quickly while
// something is in a transitional state and every 2 s otherwise: starts missing processes (restoring
// snapshots into empty nodes), applies parameter groups, AUTH tokens and ACLs, wires replicas with
// REPLICAOF, forms Redis Cluster for cluster-mode groups, performs failovers, reshards and scales
// cluster-mode replicas (resharding.ts), reboots nodes, takes snapshots, keeps serverless caches
// (serverless-fleet.ts), moves statuses from creating/modifying/snapshotting/rebooting to available,
// and stops what was deleted.
//
// Known limitations: processes run on the leading node only (clients reach them on its loopback);
// when leadership moves, the new leader starts the nodes again from their data directories, which
// must then be shared. Control connections authenticate as an internal ACL user `atoll-admin`
// (visible in ACL LIST), so that AUTH tokens and user groups never lock the platform out.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '@atoll/core';
import type { ClusterRecord, ParameterGroupRecord, ReplicationGroupRecord, SnapshotRecord, UserGroupRecord, UserRecord } from './cache-records.js';
import { CacheNodeProcess } from './cache-node-process.js';
import { findEngineBinary } from './engine-binary.js';
import { EndpointForwarder } from './endpoint-forwarder.js';
import { FLEET_CHANNEL, type ElastiCacheStore, type Scope, type StoredRecord } from './elasticache-store.js';
import { engineSettings } from './parameter-catalogue.js';
import { defaultParameterGroup } from './parameter-groups.js';
import { RespConnection, parseInfo } from './resp-client.js';
import { parseSlots, reshard } from './resharding.js';
import { reconcileServerless } from './serverless-fleet.js';
import { aclRules } from './users.js';

const ADMIN_USER = 'atoll-admin';
const SLOTS = 16384;

interface GroupEndpoints {
  primary: EndpointForwarder;
  reader: EndpointForwarder;
  configuration?: EndpointForwarder;
}

const keyOf = (scope: Scope, id: string) => `${scope.accountId}/${scope.region}/${id}`;

export class ElastiCacheFleet {
  readonly #store: ElastiCacheStore;
  readonly #root: string;
  readonly #logger: Logger;
  readonly #nodes = new Map<string, CacheNodeProcess>();
  readonly #endpoints = new Map<string, GroupEndpoints>();
  /** ACL rules last applied per node, to apply only changes. */
  readonly #appliedAcls = new Map<string, string>();
  /** The record's configVersion each node runs with. */
  readonly #appliedConfig = new Map<string, number>();
  readonly #adminSecret = randomBytes(24).toString('hex');
  /** Nodes restarted for RebootCacheCluster whose status has not moved back to available yet. */
  readonly #rebooted = new Set<string>();
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #unlisten: (() => void) | undefined;

  constructor(store: ElastiCacheStore, blobRoot: string, logger: Logger) {
    this.#store = store;
    this.#root = blobRoot;
    this.#logger = logger;
  }

  /** Where a snapshot's RDB file of one node group lives. */
  snapshotFile(scope: Scope, snapshotName: string, nodeGroupId: string): string {
    return join(this.#root, 'snapshots', scope.accountId, scope.region, snapshotName, `${nodeGroupId}.rdb`);
  }

  /** Where a serverless cache snapshot's RDB file lives. */
  serverlessSnapshotFile(scope: Scope, snapshotName: string): string {
    return join(this.#root, 'serverless-snapshots', scope.accountId, scope.region, snapshotName, 'dump.rdb');
  }

  /** SAVEs a running node and copies its RDB file to `file`; resolves its size, or undefined when the node is not running. */
  async saveNode(scope: Scope, clusterId: string, file: string): Promise<number | undefined> {
    const node = this.#nodes.get(keyOf(scope, clusterId));
    if (!node) return undefined;
    await withAdmin(this.#admin(node), (conn) => conn.command('SAVE'));
    mkdirSync(dirname(file), { recursive: true });
    copyFileSync(join(node.options.dataDir, 'dump.rdb'), file);
    return statSync(file).size;
  }

  nodeDir(scope: Scope, clusterId: string): string {
    return join(this.#root, 'nodes', scope.accountId, scope.region, clusterId);
  }

  /** The running process of a cluster (tests kill it to watch the restart). */
  node(scope: Scope, clusterId: string): CacheNodeProcess | undefined {
    return this.#nodes.get(keyOf(scope, clusterId));
  }

  /** Runs until `signal` aborts (leadership lost, or close): reconciles on signals and on a timer. */
  async run(signal: AbortSignal): Promise<void> {
    this.#unlisten = this.#store.db.signals.listen(FLEET_CHANNEL, () => this.poke());
    this.poke();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.close();
  }

  /** Asks for a reconcile pass now (coalesced with one in flight). */
  poke(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = this.#reconcile()
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, 'elasticache fleet reconcile failed');
        return true;
      })
      .then((unsettled) => {
        this.#running = undefined;
        if (this.#closed) return;
        if (this.#again) {
          this.#again = false;
          this.poke();
          return;
        }
        this.#timer = setTimeout(() => this.poke(), unsettled ? 50 : 2000);
        this.#timer.unref();
      });
  }

  /** Waits for the pass in flight (tests). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unlisten?.();
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    await Promise.all([...this.#nodes.values()].map((n) => n.stop()));
    this.#nodes.clear();
    await Promise.all([...this.#endpoints.values()].flatMap((e) => [e.primary.close(), e.reader.close(), e.configuration?.close()]));
    this.#endpoints.clear();
  }

  /** One pass; resolves true when something is still transitional (the next pass comes soon). */
  async #reconcile(): Promise<boolean> {
    let unsettled = false;
    // Serverless caches first: a deleting one takes its final snapshot and marks its node deleting.
    if (await reconcileServerless(this, this.#store, this.#logger)) unsettled = true;
    const clusters = await this.#store.listEverywhere<ClusterRecord>('cluster');
    const groups = await this.#store.listEverywhere<ReplicationGroupRecord>('replication-group');
    const snapshots = await this.#store.listEverywhere<SnapshotRecord>('snapshot');
    const wanted = new Set(clusters.map((c) => keyOf(c, c.id)));
    for (const [key, node] of this.#nodes) {
      if (!wanted.has(key)) {
        this.#appliedConfig.delete(key);
        this.#nodes.delete(key);
        await node.stop();
      }
    }
    const clusterByKey = new Map(clusters.map((c) => [keyOf(c, c.id), c]));

    for (const rec of clusters) {
      if (this.#closed) return false;
      try {
        if (await this.#reconcileCluster(rec, clusterByKey)) unsettled = true;
      } catch (error) {
        unsettled = true;
        this.#logger.warn({ err: error, cluster: rec.id }, 'elasticache: cache cluster not reconciled yet');
      }
    }
    for (const snap of snapshots) {
      if (snap.body.status !== 'creating') continue;
      try {
        await this.#takeSnapshot(snap, clusterByKey, groups);
      } catch (error) {
        this.#logger.error({ err: error, snapshot: snap.id }, 'elasticache: snapshot failed');
        await this.#store.update(snap, [{ kind: 'snapshot', id: snap.id }], ([b]) => ({ bodies: [b ? { ...(b as SnapshotRecord), status: 'failed' } : undefined], result: undefined }));
      }
    }
    const groupKeys = new Set(groups.map((g) => keyOf(g, g.id)));
    for (const [key, endpoints] of this.#endpoints) {
      if (!groupKeys.has(key)) {
        this.#endpoints.delete(key);
        await Promise.all([endpoints.primary.close(), endpoints.reader.close(), endpoints.configuration?.close()]);
      }
    }
    for (const rec of groups) {
      if (this.#closed) return false;
      try {
        if (await this.#reconcileGroup(rec, clusterByKey)) unsettled = true;
      } catch (error) {
        unsettled = true;
        this.#logger.warn({ err: error, replicationGroup: rec.id }, 'elasticache: replication group not reconciled yet');
      }
    }
    return unsettled;
  }

  #admin(node: CacheNodeProcess): Promise<RespConnection> {
    return RespConnection.open(node.port, { user: ADMIN_USER, password: this.#adminSecret });
  }

  async #parameters(scope: Scope, name: string): Promise<Record<string, string>> {
    const group = (await this.#store.get<ParameterGroupRecord>(scope, 'parameter-group', name)) ?? defaultParameterGroup(scope, name);
    return engineSettings(group?.values ?? {});
  }

  async #reconcileCluster(rec: StoredRecord<ClusterRecord>, clusters: Map<string, StoredRecord<ClusterRecord>>): Promise<boolean> {
    const c = rec.body;
    const key = keyOf(rec, c.id);
    let node = this.#nodes.get(key);
    if (c.status === 'deleting') {
      if (c.finalSnapshotName && node) {
        const snap = await this.#store.get<SnapshotRecord>(rec, 'snapshot', c.finalSnapshotName);
        if (snap && snap.status === 'creating') await this.#saveInto(node, this.snapshotFile(rec, snap.name, c.nodeGroupId ?? '0001'), rec, snap, c);
      }
      // A group's snapshot being taken from this node finishes first.
      this.#nodes.delete(key);
      await node?.stop();
      rmSync(this.nodeDir(rec, c.id), { recursive: true, force: true });
      await this.#store.delete(rec, 'cluster', c.id);
      return false;
    }
    const primary = c.primaryClusterId && !c.clusterMode ? clusters.get(keyOf(rec, c.primaryClusterId))?.body : undefined;
    if (c.status === 'rebooting cluster nodes' && node && !this.#rebooted.has(key)) {
      // RebootCacheCluster: stop the process and start it again below (same port, same data directory).
      this.#rebooted.add(key);
      this.#nodes.delete(key);
      await node.stop();
      node = undefined;
    }
    if (!node) {
      const binary = findEngineBinary(c.engine);
      if (!binary) throw new Error(`no ${c.engine} server on PATH`);
      const dir = this.nodeDir(rec, c.id);
      if ((c.restoreFrom || c.restoreFile) && !existsSync(join(dir, 'dump.rdb'))) {
        const file = c.restoreFile ?? this.snapshotFile(rec, c.restoreFrom!, c.nodeGroupId ?? '0001');
        if (existsSync(file)) {
          mkdirSync(dir, { recursive: true });
          copyFileSync(file, join(dir, 'dump.rdb'));
        }
      }
      node = new CacheNodeProcess({
        key,
        binary: binary.path,
        dataDir: dir,
        settings: {
          port: c.port,
          dir,
          parameters: await this.#parameters(rec, c.parameterGroupName),
          password: c.authToken,
          replicaOf: primary ? { host: '127.0.0.1', port: primary.port } : undefined,
          clusterMode: c.clusterMode,
          extraLines: [`user ${ADMIN_USER} on >${this.#adminSecret} ~* &* +@all`, `masteruser ${ADMIN_USER}`, `masterauth ${this.#adminSecret}`],
        },
        onLog: (event) => this.#logger.debug({ cluster: c.id, stream: event.stream }, event.message),
        onCrash: (code) => this.#logger.warn({ cluster: c.id, exitCode: code }, 'elasticache: engine process exited; restarting it'),
        onRestarted: () => {
          this.#appliedAcls.delete(key);
          this.poke();
        },
      });
      this.#nodes.set(key, node);
      try {
        await node.start();
      } catch (error) {
        this.#nodes.delete(key);
        await node.stop();
        throw error;
      }
      this.#appliedAcls.delete(key);
      this.#appliedConfig.set(key, c.configVersion);
    }
    let unsettled = false;
    const changes: Partial<ClusterRecord> = {};
    if (this.#appliedConfig.get(key) !== c.configVersion) {
      const parameters = await this.#parameters(rec, c.parameterGroupName);
      const conn = await this.#admin(node);
      try {
        // One CONFIG SET for all (atomic since Redis 7); `databases` is read at start only.
        const pairs = Object.entries(parameters).filter(([name]) => name !== 'databases').flat();
        await conn.command('CONFIG', 'SET', ...pairs, 'requirepass', c.authToken ?? '');
      } finally {
        conn.close();
      }
      node.updateSettings({ parameters, password: c.authToken });
      this.#appliedConfig.set(key, c.configVersion);
    }
    // Replicas follow the primary the record names (after a failover, the new one).
    if (primary && node.options.settings.replicaOf?.port !== primary.port) {
      await withAdmin(this.#admin(node), (conn) => conn.command('REPLICAOF', '127.0.0.1', primary.port));
      node.updateSettings({ replicaOf: { host: '127.0.0.1', port: primary.port } });
    }
    await this.#applyAcls(rec, c, node, key);
    if (c.status !== 'available' && c.status !== 'snapshotting') {
      changes.status = 'available';
    }
    if (Object.keys(changes).length > 0) {
      await this.#store.update(
        rec,
        [{ kind: 'cluster', id: c.id }],
        ([body]) => {
          const b = body as ClusterRecord | undefined;
          if (!b || b.status === 'deleting') return { bodies: [b], result: undefined };
          // A change made while this pass ran (another modify) waits for the next pass.
          if (b.configVersion !== c.configVersion) return { bodies: [b], result: undefined };
          return { bodies: [{ ...b, ...changes }], result: undefined };
        },
      );
      this.#rebooted.delete(key);
      unsettled = true;
    }
    return unsettled;
  }

  async #applyAcls(scope: Scope, c: ClusterRecord, node: CacheNodeProcess, key: string): Promise<void> {
    const users: UserRecord[] = [];
    for (const groupId of c.userGroupIds ?? []) {
      const group = await this.#store.get<UserGroupRecord>(scope, 'user-group', groupId);
      for (const userId of group?.userIds ?? []) {
        const user = await this.#store.get<UserRecord>(scope, 'user', userId);
        if (user && !users.some((u) => u.userName === user.userName)) users.push(user);
      }
    }
    const rules = users.map((u) => aclRules(u));
    const text = JSON.stringify(rules);
    if (this.#appliedAcls.get(key) === text) return;
    if (rules.length === 0 && !this.#appliedAcls.has(key)) {
      this.#appliedAcls.set(key, text);
      return;
    }
    await withAdmin(this.#admin(node), async (conn) => {
      const names = (await conn.command('ACL', 'USERS')) as string[];
      for (const name of names) {
        if (name !== ADMIN_USER && name !== 'default' && !users.some((u) => u.userName === name)) await conn.command('ACL', 'DELUSER', name);
      }
      for (const rule of rules) await conn.command('ACL', 'SETUSER', ...rule);
      // With user groups, the default user is what the group says, or off when it is absent; without
      // them (a group removed), it is the engine's open default again (with the AUTH token, if any).
      if (rules.length > 0 && !users.some((u) => u.userName === 'default')) await conn.command('ACL', 'SETUSER', 'default', 'off');
      if (rules.length === 0) await conn.command('ACL', 'SETUSER', 'default', 'reset', 'on', ...(c.authToken ? [`>${c.authToken}`] : ['nopass']), '~*', '&*', '+@all');
    });
    this.#appliedAcls.set(key, text);
  }

  async #saveInto(node: CacheNodeProcess, file: string, scope: Scope, snap: SnapshotRecord, c: ClusterRecord): Promise<void> {
    await withAdmin(this.#admin(node), (conn) => conn.command('SAVE'));
    mkdirSync(dirname(file), { recursive: true });
    copyFileSync(join(node.options.dataDir, 'dump.rdb'), file);
    const nodeGroupId = c.nodeGroupId ?? '0001';
    const entry = { nodeGroupId, cacheClusterId: c.id, cacheNodeId: '0001', file, sizeBytes: statSync(file).size, createdAt: new Date().toISOString() };
    await this.#store.update(scope, [{ kind: 'snapshot', id: snap.name }], ([b]) => {
      const body = b as SnapshotRecord | undefined;
      if (!body) return { bodies: [undefined], result: undefined };
      const files = [...body.files.filter((f) => f.nodeGroupId !== nodeGroupId), entry];
      const done = files.length >= body.numNodeGroups;
      return { bodies: [{ ...body, files, status: done ? 'available' : body.status }], result: undefined };
    });
  }

  async #takeSnapshot(rec: StoredRecord<SnapshotRecord>, clusters: Map<string, StoredRecord<ClusterRecord>>, groups: StoredRecord<ReplicationGroupRecord>[]): Promise<void> {
    const snap = rec.body;
    let sources: ClusterRecord[] = [];
    if (snap.replicationGroupId) {
      const group = groups.find((g) => g.accountId === rec.accountId && g.region === rec.region && g.id === snap.replicationGroupId)?.body;
      if (!group) return; // deleting: its members' final snapshot path takes it
      sources = group.nodeGroups.map((ng) => {
        // Snapshots are taken from a replica when there is one, as ElastiCache does.
        const id = ng.replicaClusterIds[0] ?? ng.primaryClusterId;
        return clusters.get(keyOf(rec, id))!.body;
      });
    } else if (snap.cacheClusterId) {
      const c = clusters.get(keyOf(rec, snap.cacheClusterId))?.body;
      if (c) sources = [c];
    }
    for (const c of sources) {
      const node = this.#nodes.get(keyOf(rec, c.id));
      if (!node || c.status === 'deleting') continue;
      await this.#saveInto(node, this.snapshotFile(rec, snap.name, c.nodeGroupId ?? '0001'), rec, snap, c);
    }
    const settle = async (kind: 'cluster' | 'replication-group', id: string) =>
      this.#store.update(rec, [{ kind, id }], ([b]) => {
        const body = b as { status: string } | undefined;
        return { bodies: [body && body.status === 'snapshotting' ? { ...body, status: 'available' } : body], result: undefined };
      });
    if (snap.replicationGroupId) await settle('replication-group', snap.replicationGroupId);
    for (const c of sources) await settle('cluster', c.id);
  }

  async #endpointsOf(rec: StoredRecord<ReplicationGroupRecord>): Promise<GroupEndpoints> {
    const key = keyOf(rec, rec.id);
    let endpoints = this.#endpoints.get(key);
    if (!endpoints) {
      const g = rec.body;
      const primary = await EndpointForwarder.listen(g.primaryPort);
      const reader = await EndpointForwarder.listen(g.readerPort).catch(async (e: unknown) => {
        await primary.close();
        throw e;
      });
      const configuration = g.configurationPort !== undefined ? await EndpointForwarder.listen(g.configurationPort) : undefined;
      endpoints = { primary, reader, configuration };
      this.#endpoints.set(key, endpoints);
    }
    return endpoints;
  }

  async #reconcileGroup(rec: StoredRecord<ReplicationGroupRecord>, clusters: Map<string, StoredRecord<ClusterRecord>>): Promise<boolean> {
    const g = rec.body;
    const member = (id: string) => clusters.get(keyOf(rec, id))?.body;
    if (g.status === 'deleting') {
      const remaining = g.nodeGroups.flatMap((ng) => [ng.primaryClusterId, ...ng.replicaClusterIds]).filter((id) => member(id) && member(id)!.replicationGroupId === g.id);
      if (remaining.length > 0) return true;
      await this.#store.delete(rec, 'replication-group', g.id);
      return false;
    }
    const endpoints = await this.#endpointsOf(rec);
    const ids = g.nodeGroups.flatMap((ng) => [ng.primaryClusterId, ...ng.replicaClusterIds]);
    const running = ids.every((id) => member(id)?.status === 'available' && this.#nodes.has(keyOf(rec, id)));
    if (!running) return true;
    const nodeOf = (id: string) => this.#nodes.get(keyOf(rec, id))!;

    if (g.failover) {
      await this.#failover(rec, g.failover.nodeGroupId, g.failover.newPrimaryClusterId, clusters);
      return true;
    }
    if (g.resharding) {
      await this.#reshard(rec, nodeOf);
      return true;
    }
    if (g.clusterMode && !g.clusterFormed) {
      await this.#formCluster(g, nodeOf);
      await this.#store.update(rec, [{ kind: 'replication-group', id: g.id }], ([b]) => ({ bodies: [b ? { ...(b as ReplicationGroupRecord), clusterFormed: true } : b], result: undefined }));
      return true;
    }
    const first = g.nodeGroups[0]!;
    const primaries = g.nodeGroups.map((ng) => member(ng.primaryClusterId)!.port);
    const replicas = g.nodeGroups.flatMap((ng) => ng.replicaClusterIds.map((id) => member(id)!.port));
    if (g.clusterMode) {
      endpoints.configuration?.setTargets([...primaries, ...replicas]);
      endpoints.primary.setTargets(primaries);
      endpoints.reader.setTargets(replicas.length ? replicas : primaries);
    } else {
      endpoints.primary.setTargets([member(first.primaryClusterId)!.port]);
      endpoints.reader.setTargets(replicas.length ? replicas : [member(first.primaryClusterId)!.port]);
    }
    if (g.status === 'available' || g.status === 'snapshotting') return false;
    // Available once every replica's link to its primary is up (the initial sync is done).
    for (const ng of g.nodeGroups) {
      for (const id of ng.replicaClusterIds) {
        const info = await withAdmin(this.#admin(nodeOf(id)), (conn) => conn.command('INFO', 'replication'));
        const fields = parseInfo(String(info));
        if (fields.role !== 'slave' || fields.master_link_status !== 'up') return true;
      }
    }
    if (g.clusterMode) {
      const info = await withAdmin(this.#admin(nodeOf(first.primaryClusterId)), (conn) => conn.command('CLUSTER', 'INFO'));
      if (parseInfo(String(info)).cluster_state !== 'ok') return true;
    }
    await this.#store.update(rec, [{ kind: 'replication-group', id: g.id }], ([b]) => {
      const body = b as ReplicationGroupRecord | undefined;
      if (!body || body.status === 'deleting' || body.failover) return { bodies: [body], result: undefined };
      return { bodies: [{ ...body, status: 'available' }], result: undefined };
    });
    return false;
  }

  /** Moves slots (resharding.ts), then drops the removed shards from the group and deletes their nodes. */
  async #reshard(rec: StoredRecord<ReplicationGroupRecord>, nodeOf: (id: string) => CacheNodeProcess): Promise<void> {
    const g = rec.body;
    await reshard(g, { admin: (id) => this.#admin(nodeOf(id)), port: (id) => nodeOf(id).port, adminUser: ADMIN_USER, adminSecret: this.#adminSecret });
    const removing = new Set(g.resharding?.removeNodeGroupIds ?? []);
    const removedReplicas = new Set(g.resharding?.removeClusterIds ?? []);
    const removed = [...g.nodeGroups.filter((ng) => removing.has(ng.id)).flatMap((ng) => [ng.primaryClusterId, ...ng.replicaClusterIds]), ...removedReplicas];
    await this.#store.update(
      rec,
      [{ kind: 'replication-group', id: g.id }, ...removed.map((id) => ({ kind: 'cluster' as const, id }))],
      ([gb, ...cbs]) => {
        const body = gb as ReplicationGroupRecord | undefined;
        if (!body) return { bodies: [gb, ...cbs], result: undefined };
        const nodeGroups = body.nodeGroups.filter((ng) => !removing.has(ng.id)).map((ng) => ({ ...ng, replicaClusterIds: ng.replicaClusterIds.filter((r) => !removedReplicas.has(r)) }));
        const gone = cbs.map((b) => (b ? { ...(b as ClusterRecord), status: 'deleting', replicationGroupId: undefined } : b));
        return { bodies: [{ ...body, nodeGroups, resharding: undefined }, ...gone], result: undefined };
      },
      true,
    );
  }

  /** Assigns slots to the primaries, introduces every node to the first, and attaches replicas. */
  async #formCluster(g: ReplicationGroupRecord, nodeOf: (id: string) => CacheNodeProcess): Promise<void> {
    const firstNode = nodeOf(g.nodeGroups[0]!.primaryClusterId);
    const ids = new Map<string, string>();
    for (const id of g.nodeGroups.flatMap((ng) => [ng.primaryClusterId, ...ng.replicaClusterIds])) {
      ids.set(id, String(await withAdmin(this.#admin(nodeOf(id)), (c) => c.command('CLUSTER', 'MYID'))));
    }
    for (const ng of g.nodeGroups) {
      await withAdmin(this.#admin(nodeOf(ng.primaryClusterId)), async (c) => {
        // A node restored from an RDB file has already claimed the slots its keys are in.
        const owned = new Set<number>();
        for (const [from, to] of (await c.command('CLUSTER', 'SLOTS')) as [number, number][]) for (let s = Number(from); s <= Number(to); s++) owned.add(s);
        const missing = parseSlots(ng.slots ?? `0-${SLOTS - 1}`).filter((s) => !owned.has(s));
        if (missing.length > 0) await c.command('CLUSTER', 'ADDSLOTS', ...missing);
      });
    }
    for (const id of ids.keys()) {
      const node = nodeOf(id);
      if (node === firstNode) continue;
      await withAdmin(this.#admin(node), (c) => c.command('CLUSTER', 'MEET', '127.0.0.1', firstNode.port));
    }
    // Replicas can attach once they know their primary's id.
    for (const ng of g.nodeGroups) {
      const primaryId = ids.get(ng.primaryClusterId)!;
      for (const replica of ng.replicaClusterIds) {
        const deadline = Date.now() + 10_000;
        await withAdmin(this.#admin(nodeOf(replica)), async (c) => {
          for (;;) {
            try {
              await c.command('CLUSTER', 'REPLICATE', primaryId);
              return;
            } catch (error) {
              if (Date.now() > deadline) throw error;
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        });
      }
    }
  }

  async #failover(rec: StoredRecord<ReplicationGroupRecord>, nodeGroupId: string, newPrimaryId: string, clusters: Map<string, StoredRecord<ClusterRecord>>): Promise<void> {
    const g = rec.body;
    const ng = g.nodeGroups.find((n) => n.id === nodeGroupId)!;
    const node = (id: string) => this.#nodes.get(keyOf(rec, id))!;
    const newNode = node(newPrimaryId);
    const oldPrimaryId = ng.primaryClusterId;
    if (g.clusterMode) {
      await withAdmin(this.#admin(newNode), async (c) => {
        await c.command('CLUSTER', 'FAILOVER', 'FORCE');
        const deadline = Date.now() + 10_000;
        while (parseInfo(String(await c.command('INFO', 'replication'))).role !== 'master') {
          if (Date.now() > deadline) throw new Error('cluster failover did not complete');
          await new Promise((r) => setTimeout(r, 20));
        }
      });
    } else {
      await withAdmin(this.#admin(newNode), (c) => c.command('REPLICAOF', 'NO', 'ONE'));
      newNode.updateSettings({ replicaOf: undefined });
      for (const id of [oldPrimaryId, ...ng.replicaClusterIds.filter((r) => r !== newPrimaryId)]) {
        const n = node(id);
        await withAdmin(this.#admin(n), (c) => c.command('REPLICAOF', '127.0.0.1', newNode.port));
        n.updateSettings({ replicaOf: { host: '127.0.0.1', port: newNode.port } });
      }
      const endpoints = this.#endpoints.get(keyOf(rec, g.id));
      endpoints?.primary.setTargets([newNode.port]);
    }
    const replicaIds = [oldPrimaryId, ...ng.replicaClusterIds.filter((r) => r !== newPrimaryId)];
    const keys = [{ kind: 'replication-group' as const, id: g.id }, ...[newPrimaryId, ...replicaIds].map((id) => ({ kind: 'cluster' as const, id }))];
    await this.#store.update(
      rec,
      keys,
      ([gb, ...cbs]) => {
        const group = gb as ReplicationGroupRecord | undefined;
        if (!group) return { bodies: [gb, ...cbs], result: undefined };
        const nodeGroups = group.nodeGroups.map((n) => (n.id === nodeGroupId ? { ...n, primaryClusterId: newPrimaryId, replicaClusterIds: replicaIds } : n));
        const bodies = cbs.map((b, i) => {
          const c = b as ClusterRecord | undefined;
          if (!c) return c;
          return i === 0 ? { ...c, role: 'primary', primaryClusterId: undefined } : { ...c, role: 'replica', primaryClusterId: g.clusterMode ? undefined : newPrimaryId };
        });
        return { bodies: [{ ...group, nodeGroups, failover: undefined, status: 'modifying' }, ...bodies], result: undefined };
      },
      true,
    );
    void clusters;
  }
}

async function withAdmin<T>(opening: Promise<RespConnection>, work: (c: RespConnection) => Promise<T>): Promise<T> {
  const conn = await opening;
  try {
    return await work(conn);
  } finally {
    conn.close();
  }
}

/** The slot ranges of `count` shards, as ElastiCache spreads them: `0-5461`, `5462-10922`, … */
export function slotRanges(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * SLOTS) / count);
    const to = Math.floor(((i + 1) * SLOTS) / count) - 1;
    out.push(`${from}-${to}`);
  }
  return out;
}
