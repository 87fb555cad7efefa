// Online resharding of a cluster-mode replication group (ModifyReplicationGroupShardConfiguration),
// done by the fleet with Redis Cluster's own commands: new nodes join with CLUSTER MEET (replicas
// attach with CLUSTER REPLICATE), then every hash slot whose owner changes moves with the documented
// protocol: SETSLOT IMPORTING on the target, SETSLOT MIGRATING on the source, MIGRATE of its keys in
// batches, SETSLOT NODE on both. Shards being removed give all their slots away and are then forgotten
// (CLUSTER FORGET on every remaining node) before their processes stop. Each step reads the cluster's
// actual state (CLUSTER NODES, CLUSTER SLOTS), so a pass interrupted half way resumes.
// Known limitations: clients see ASK/MOVED redirections during the move (as on AWS); keys written to a
// slot while it migrates are moved by the last MIGRATE batch of that slot.
import type { NodeGroupRecord, ReplicationGroupRecord } from './cache-records.js';
import type { RespConnection } from './resp-client.js';

const SLOTS = 16384;
const KEYS_PER_MIGRATE = 200;

export interface ReshardHost {
  /** A control connection (the platform's admin user) to a member cluster's engine. */
  admin(clusterId: string): Promise<RespConnection>;
  port(clusterId: string): number;
  /** Credentials MIGRATE passes to the target (AUTH2). */
  adminUser: string;
  adminSecret: string;
}

/** `0-5460` or `0-100,200-300` → the slots, in order. */
export function parseSlots(spec: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (spec ?? '').split(',')) {
    if (!part.trim()) continue;
    const [a, b] = part.split('-').map((x) => Number(x.trim()));
    for (let s = a!; s <= (b ?? a)!; s++) out.push(s);
  }
  return out;
}

/** Contiguous runs of slots that move from one shard to another: [from, to, source, target]. */
export function slotMoves(actual: readonly (string | undefined)[], desired: readonly (string | undefined)[]): { from: number; to: number; source: string; target: string }[] {
  const moves: { from: number; to: number; source: string; target: string }[] = [];
  for (let s = 0; s < SLOTS; s++) {
    const source = actual[s];
    const target = desired[s];
    if (!target || source === target) continue;
    const last = moves[moves.length - 1];
    if (last && last.to === s - 1 && last.source === (source ?? '') && last.target === target) last.to = s;
    else moves.push({ from: s, to: s, source: source ?? '', target });
  }
  return moves;
}

const withConn = async <T>(opening: Promise<RespConnection>, work: (c: RespConnection) => Promise<T>): Promise<T> => {
  const c = await opening;
  try {
    return await work(c);
  } finally {
    c.close();
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Node ids (CLUSTER NODES) an engine knows. */
async function knownIds(c: RespConnection): Promise<Set<string>> {
  const text = String(await c.command('CLUSTER', 'NODES'));
  return new Set(text.split('\n').filter(Boolean).map((l) => l.split(' ')[0]!));
}

/** Runs the resharding of `g` to completion (throws to be retried on the next pass). */
export async function reshard(g: ReplicationGroupRecord, host: ReshardHost): Promise<void> {
  const removing = new Set(g.resharding?.removeNodeGroupIds ?? []);
  const staying = g.nodeGroups.filter((ng) => !removing.has(ng.id));
  const removed = g.nodeGroups.filter((ng) => removing.has(ng.id));
  const members = (ng: NodeGroupRecord) => [ng.primaryClusterId, ...ng.replicaClusterIds];
  const all = g.nodeGroups.flatMap(members);
  const nodeId = new Map<string, string>();
  for (const id of all) nodeId.set(id, String(await withConn(host.admin(id), (c) => c.command('CLUSTER', 'MYID'))));
  // New shards are appended, so the first staying shard was in the cluster before.
  const anchorId = staying[0]!.primaryClusterId;

  // 1. Every node meets the cluster (new ones), and every primary knows every node.
  const known = await withConn(host.admin(anchorId), knownIds);
  for (const id of all) {
    if (!known.has(nodeId.get(id)!)) await withConn(host.admin(id), (c) => c.command('CLUSTER', 'MEET', '127.0.0.1', host.port(anchorId)));
  }
  const deadline = Date.now() + 15_000;
  for (const ng of g.nodeGroups) {
    for (;;) {
      const ids = await withConn(host.admin(ng.primaryClusterId), knownIds);
      if (all.every((id) => ids.has(nodeId.get(id)!))) break;
      if (Date.now() > deadline) throw new Error('new shards did not join the cluster bus in time');
      await sleep(50);
    }
  }
  // 2. Replicas of new shards attach to their primary.
  for (const ng of staying) {
    for (const replica of ng.replicaClusterIds) {
      await withConn(host.admin(replica), async (c) => {
        const mine = String(await c.command('CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'))?.split(' ') ?? [];
        if (mine[2]?.includes('slave') && mine[3] === nodeId.get(ng.primaryClusterId)) return;
        for (;;) {
          try {
            await c.command('CLUSTER', 'REPLICATE', nodeId.get(ng.primaryClusterId)!);
            return;
          } catch (error) {
            if (Date.now() > deadline) throw error;
            await sleep(50);
          }
        }
      });
    }
  }

  // 3. Slots move from their actual owner (CLUSTER SLOTS) to their desired one.
  const byPort = new Map(g.nodeGroups.map((ng) => [host.port(ng.primaryClusterId), ng.primaryClusterId]));
  const actual: (string | undefined)[] = new Array(SLOTS).fill(undefined);
  const slotsReply = (await withConn(host.admin(anchorId), (c) => c.command('CLUSTER', 'SLOTS'))) as unknown[][];
  for (const entry of slotsReply) {
    const [from, to, owner] = entry as [number, number, unknown[]];
    const primary = byPort.get(Number(owner[1]));
    for (let s = Number(from); s <= Number(to); s++) actual[s] = primary;
  }
  const desired: (string | undefined)[] = new Array(SLOTS).fill(undefined);
  for (const ng of staying) for (const s of parseSlots(ng.slots)) desired[s] = ng.primaryClusterId;
  for (const move of slotMoves(actual, desired)) {
    if (!move.source) {
      // An unowned slot is simply assigned.
      await withConn(host.admin(move.target), (c) => c.command('CLUSTER', 'ADDSLOTSRANGE', move.from, move.to));
      continue;
    }
    await migrateRange(host, move, nodeId);
  }

  // 4. Removed shards own nothing now: the remaining nodes forget them (the fleet then stops them).
  const removedReplicas = new Set(g.resharding?.removeClusterIds ?? []);
  const gone = [...removed.flatMap(members), ...removedReplicas].map((id) => nodeId.get(id)!);
  for (const id of staying.flatMap(members).filter((m) => !removedReplicas.has(m))) {
    await withConn(host.admin(id), async (c) => {
      for (const forgotten of gone) await c.command('CLUSTER', 'FORGET', forgotten).catch(() => undefined);
    });
  }
}

async function migrateRange(host: ReshardHost, move: { from: number; to: number; source: string; target: string }, nodeId: Map<string, string>): Promise<void> {
  const slots = Array.from({ length: move.to - move.from + 1 }, (_, i) => move.from + i);
  const sourceId = nodeId.get(move.source)!;
  const targetId = nodeId.get(move.target)!;
  const source = await host.admin(move.source);
  const target = await host.admin(move.target).catch((e: unknown) => {
    source.close();
    throw e;
  });
  try {
    // Pipelined: the control connection answers in order.
    await Promise.all(slots.map((s) => target.command('CLUSTER', 'SETSLOT', s, 'IMPORTING', sourceId)));
    await Promise.all(slots.map((s) => source.command('CLUSTER', 'SETSLOT', s, 'MIGRATING', targetId)));
    const counts = await Promise.all(slots.map((s) => source.command('CLUSTER', 'COUNTKEYSINSLOT', s)));
    for (let i = 0; i < slots.length; i++) {
      if (Number(counts[i]) === 0) continue;
      for (;;) {
        const keys = (await source.command('CLUSTER', 'GETKEYSINSLOT', slots[i]!, KEYS_PER_MIGRATE)) as string[];
        if (keys.length === 0) break;
        await source.command('MIGRATE', '127.0.0.1', host.port(move.target), '', 0, 10_000, 'REPLACE', 'AUTH2', host.adminUser, host.adminSecret, 'KEYS', ...keys);
      }
    }
    await Promise.all(slots.map((s) => target.command('CLUSTER', 'SETSLOT', s, 'NODE', targetId)));
    await Promise.all(slots.map((s) => source.command('CLUSTER', 'SETSLOT', s, 'NODE', targetId)));
  } finally {
    source.close();
    target.close();
  }
}
