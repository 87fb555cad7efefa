// ECS state in SQLite: clusters, task definitions, tasks and services as JSON documents keyed by
// account and region. The only module that reads or writes ECS tables.
import { openDatabase, type Migration, type SqliteDatabase } from '@atoll/storage';
import type { Cluster, Service, ServiceInternal, Task, TaskDefinition, TaskInternal } from './ecs-types.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'ecs documents',
    up: `
      CREATE TABLE clusters (
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (account, region, name));
      CREATE TABLE task_definitions (
        account TEXT NOT NULL, region TEXT NOT NULL, family TEXT NOT NULL, revision INTEGER NOT NULL,
        status TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (account, region, family, revision));
      CREATE TABLE tasks (
        account TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL, cluster TEXT NOT NULL,
        last_status TEXT NOT NULL, stopped_at INTEGER, doc TEXT NOT NULL, internal TEXT NOT NULL,
        PRIMARY KEY (account, region, id));
      CREATE INDEX tasks_by_cluster ON tasks (account, region, cluster);
      CREATE INDEX tasks_live ON tasks (last_status);
      CREATE TABLE services (
        account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL, name TEXT NOT NULL,
        status TEXT NOT NULL, doc TEXT NOT NULL, internal TEXT NOT NULL,
        PRIMARY KEY (account, region, cluster, name));
    `,
  },
];

export interface Scope {
  accountId: string;
  region: string;
}

export interface StoredTask {
  task: Task;
  internal: TaskInternal;
}

export interface StoredService {
  service: Service;
  internal: ServiceInternal;
}

export class EcsStore {
  readonly db: SqliteDatabase;

  constructor(file: string) {
    this.db = openDatabase(file, MIGRATIONS);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    this.db.close();
  }

  // Clusters
  getCluster(scope: Scope, name: string): Cluster | undefined {
    const row = this.db
      .prepare('SELECT doc FROM clusters WHERE account = ? AND region = ? AND name = ?')
      .get(scope.accountId, scope.region, name) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Cluster) : undefined;
  }

  putCluster(scope: Scope, cluster: Cluster): void {
    this.db
      .prepare('INSERT OR REPLACE INTO clusters (account, region, name, doc) VALUES (?, ?, ?, ?)')
      .run(scope.accountId, scope.region, cluster.clusterName, JSON.stringify(cluster));
  }

  listClusters(scope: Scope): Cluster[] {
    return (
      this.db.prepare('SELECT doc FROM clusters WHERE account = ? AND region = ? ORDER BY name').all(scope.accountId, scope.region) as {
        doc: string;
      }[]
    ).map((r) => JSON.parse(r.doc) as Cluster);
  }

  // Task definitions
  latestRevision(scope: Scope, family: string): number {
    const row = this.db
      .prepare('SELECT MAX(revision) AS rev FROM task_definitions WHERE account = ? AND region = ? AND family = ?')
      .get(scope.accountId, scope.region, family) as { rev: number | null };
    return row.rev ?? 0;
  }

  getTaskDefinition(scope: Scope, family: string, revision?: number): TaskDefinition | undefined {
    const row = (
      revision === undefined
        ? this.db
            .prepare(
              `SELECT doc FROM task_definitions WHERE account = ? AND region = ? AND family = ? AND status = 'ACTIVE'
               ORDER BY revision DESC LIMIT 1`,
            )
            .get(scope.accountId, scope.region, family)
        : this.db
            .prepare('SELECT doc FROM task_definitions WHERE account = ? AND region = ? AND family = ? AND revision = ?')
            .get(scope.accountId, scope.region, family, revision)
    ) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as TaskDefinition) : undefined;
  }

  putTaskDefinition(scope: Scope, def: TaskDefinition): void {
    this.db
      .prepare('INSERT OR REPLACE INTO task_definitions (account, region, family, revision, status, doc) VALUES (?, ?, ?, ?, ?, ?)')
      .run(scope.accountId, scope.region, def.family, def.revision, def.status, JSON.stringify(def));
  }

  listTaskDefinitions(scope: Scope, filter: { familyPrefix?: string; status?: string; descending?: boolean }): TaskDefinition[] {
    const rows = this.db
      .prepare(
        `SELECT doc FROM task_definitions WHERE account = ? AND region = ? AND family LIKE ? ESCAPE '\\' AND (? IS NULL OR status = ?)
         ORDER BY family ${filter.descending ? 'DESC' : 'ASC'}, revision ${filter.descending ? 'DESC' : 'ASC'}`,
      )
      .all(scope.accountId, scope.region, likePrefix(filter.familyPrefix), filter.status ?? null, filter.status ?? null) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as TaskDefinition);
  }

  listFamilies(scope: Scope, filter: { familyPrefix?: string; status?: 'ACTIVE' | 'INACTIVE' | 'ALL' }): string[] {
    const having =
      filter.status === 'ALL'
        ? ''
        : filter.status === 'INACTIVE'
          ? "HAVING SUM(status = 'ACTIVE') = 0"
          : "HAVING SUM(status = 'ACTIVE') > 0";
    const rows = this.db
      .prepare(
        `SELECT family FROM task_definitions WHERE account = ? AND region = ? AND family LIKE ? ESCAPE '\\'
         GROUP BY family ${having} ORDER BY family`,
      )
      .all(scope.accountId, scope.region, likePrefix(filter.familyPrefix)) as { family: string }[];
    return rows.map((r) => r.family);
  }

  // Tasks
  getTask(scope: Scope, id: string): StoredTask | undefined {
    const row = this.db
      .prepare('SELECT doc, internal FROM tasks WHERE account = ? AND region = ? AND id = ?')
      .get(scope.accountId, scope.region, id) as { doc: string; internal: string } | undefined;
    return row ? { task: JSON.parse(row.doc) as Task, internal: JSON.parse(row.internal) as TaskInternal } : undefined;
  }

  putTask(stored: StoredTask): void {
    const { task, internal } = stored;
    const id = task.taskArn.slice(task.taskArn.lastIndexOf('/') + 1);
    this.db
      .prepare(
        `INSERT OR REPLACE INTO tasks (account, region, id, cluster, last_status, stopped_at, doc, internal)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        internal.accountId,
        internal.region,
        id,
        internal.clusterName,
        task.lastStatus,
        task.stoppedAt ? Date.parse(task.stoppedAt) : null,
        JSON.stringify(task),
        JSON.stringify(internal),
      );
  }

  listTasks(scope: Scope, cluster: string): StoredTask[] {
    const rows = this.db
      .prepare('SELECT doc, internal FROM tasks WHERE account = ? AND region = ? AND cluster = ? ORDER BY rowid')
      .all(scope.accountId, scope.region, cluster) as { doc: string; internal: string }[];
    return rows.map((r) => ({ task: JSON.parse(r.doc) as Task, internal: JSON.parse(r.internal) as TaskInternal }));
  }

  /** Every task (all accounts and regions) that is not STOPPED. */
  liveTasks(): StoredTask[] {
    const rows = this.db.prepare("SELECT doc, internal FROM tasks WHERE last_status != 'STOPPED'").all() as {
      doc: string;
      internal: string;
    }[];
    return rows.map((r) => ({ task: JSON.parse(r.doc) as Task, internal: JSON.parse(r.internal) as TaskInternal }));
  }

  /** Forgets tasks stopped before `cutoff` (ECS shows stopped tasks for about an hour). */
  purgeStoppedTasks(cutoffMs: number): number {
    return this.db.prepare("DELETE FROM tasks WHERE last_status = 'STOPPED' AND stopped_at < ?").run(cutoffMs).changes;
  }

  // Services
  getService(scope: Scope, cluster: string, name: string): StoredService | undefined {
    const row = this.db
      .prepare('SELECT doc, internal FROM services WHERE account = ? AND region = ? AND cluster = ? AND name = ?')
      .get(scope.accountId, scope.region, cluster, name) as { doc: string; internal: string } | undefined;
    return row ? { service: JSON.parse(row.doc) as Service, internal: JSON.parse(row.internal) as ServiceInternal } : undefined;
  }

  putService(stored: StoredService): void {
    const { service, internal } = stored;
    const cluster = service.clusterArn.slice(service.clusterArn.lastIndexOf('/') + 1);
    this.db
      .prepare('INSERT OR REPLACE INTO services (account, region, cluster, name, status, doc, internal) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(internal.accountId, internal.region, cluster, service.serviceName, service.status, JSON.stringify(service), JSON.stringify(internal));
  }

  deleteService(scope: Scope, cluster: string, name: string): void {
    this.db.prepare('DELETE FROM services WHERE account = ? AND region = ? AND cluster = ? AND name = ?').run(scope.accountId, scope.region, cluster, name);
  }

  listServices(scope: Scope, cluster: string): StoredService[] {
    const rows = this.db
      .prepare('SELECT doc, internal FROM services WHERE account = ? AND region = ? AND cluster = ? ORDER BY rowid')
      .all(scope.accountId, scope.region, cluster) as { doc: string; internal: string }[];
    return rows.map((r) => ({ service: JSON.parse(r.doc) as Service, internal: JSON.parse(r.internal) as ServiceInternal }));
  }

  /** Every service (all accounts and regions) that the scheduler still works on. */
  scheduledServices(): StoredService[] {
    const rows = this.db.prepare("SELECT doc, internal FROM services WHERE status IN ('ACTIVE', 'DRAINING')").all() as {
      doc: string;
      internal: string;
    }[];
    return rows.map((r) => ({ service: JSON.parse(r.doc) as Service, internal: JSON.parse(r.internal) as ServiceInternal }));
  }
}

function likePrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}
