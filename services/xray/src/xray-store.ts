// X-Ray state behind the asynchronous store contract (SQLite or PostgreSQL): segment documents,
// one summary row per trace (marked dirty when segments arrive, recomputed by the first read that
// needs it, so that ingest stays two row writes a segment),
// sampling rules with their clients' reservoir shares, groups, tags and telemetry records. It owns no
// AWS semantics beyond that: validation, filter expressions and graphs are the provider's.
import type { SqlExecutor, SqlValue, StorageBackend, StoreDatabase, StoreMigration } from '@atoll/core';

const MIGRATIONS: StoreMigration[] = [
  {
    version: 1,
    name: 'segments, traces, sampling rules, groups, tags, telemetry',
    up: `
      CREATE TABLE xray_segments (
        account_id TEXT NOT NULL, region TEXT NOT NULL, trace_id TEXT NOT NULL, id TEXT NOT NULL,
        start_ms BIGINT NOT NULL, in_progress INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (account_id, region, trace_id, id));
      CREATE TABLE xray_traces (
        account_id TEXT NOT NULL, region TEXT NOT NULL, trace_id TEXT NOT NULL,
        start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, summary TEXT, dirty BIGINT NOT NULL,
        PRIMARY KEY (account_id, region, trace_id));
      CREATE INDEX xray_traces_start ON xray_traces (account_id, region, start_ms, trace_id);
      CREATE INDEX xray_traces_dirty ON xray_traces (account_id, region, start_ms) WHERE dirty > 0;
      CREATE TABLE xray_rules (
        account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
        created_at BIGINT NOT NULL, modified_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, region, name));
      CREATE TABLE xray_rule_clients (
        account_id TEXT NOT NULL, region TEXT NOT NULL, rule TEXT NOT NULL, client_id TEXT NOT NULL,
        last_seen BIGINT NOT NULL, requests BIGINT NOT NULL, sampled BIGINT NOT NULL, borrowed BIGINT NOT NULL,
        PRIMARY KEY (account_id, region, rule, client_id));
      CREATE TABLE xray_groups (
        account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (account_id, region, name));
      CREATE TABLE xray_tags (arn TEXT NOT NULL PRIMARY KEY, tags TEXT NOT NULL);
      CREATE TABLE xray_telemetry (
        account_id TEXT NOT NULL, region TEXT NOT NULL, resource TEXT NOT NULL, ts BIGINT NOT NULL, doc TEXT NOT NULL);
    `,
  },
];

/** Rows a multi-row statement writes (7 parameters each: well under both engines' limits). */
const ROWS_PER_STATEMENT = 200;

/** One segment (or independently sent subsegment) as stored. */
export interface StoredSegment {
  traceId: string;
  id: string;
  startMs: number;
  inProgress: boolean;
  /** The segment document (JSON text) as sent. */
  doc: string;
}

export interface TraceRow {
  traceId: string;
  startMs: number;
  endMs: number;
  /** The summary the provider computed (JSON). */
  summary: unknown;
}

export interface RuleRow {
  name: string;
  doc: Record<string, unknown>;
  createdAt: number;
  modifiedAt: number;
}

export interface GroupRow {
  name: string;
  arn: string;
  doc: Record<string, unknown>;
}

/** Computes a trace's summary row from all its segment documents (pure). */
export type Summarize = (traceId: string, docs: string[]) => { startMs: number; endMs: number; summary: unknown };

/** Dirty traces one settling round summarizes; rounds a read runs at most. */
const SETTLE_BATCH = 500;
const SETTLE_ROUNDS = 200;

export class XrayStore {
  private constructor(
    readonly db: StoreDatabase,
    readonly summarize: Summarize,
  ) {}

  static async open(storage: StorageBackend, summarize: Summarize): Promise<XrayStore> {
    return new XrayStore(await storage.open('xray', MIGRATIONS), summarize);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /**
   * Stores segments (a completed segment replaces an in-progress one with the same id, never the
   * other way round) and marks the traces they belong to dirty, in one transaction.
   */
  async putSegments(accountId: string, region: string, segments: readonly StoredSegment[]): Promise<void> {
    if (segments.length === 0) return;
    // One row per id (a completed copy wins over an in-progress one, else the last), so that a
    // multi-row upsert never touches a row twice (PostgreSQL refuses that).
    const unique = new Map<string, StoredSegment>();
    const starts = new Map<string, number>();
    for (const seg of segments) {
      const key = `${seg.traceId}/${seg.id}`;
      const had = unique.get(key);
      if (!had || !seg.inProgress || had.inProgress) unique.set(key, seg);
      starts.set(seg.traceId, Math.min(starts.get(seg.traceId) ?? Infinity, seg.startMs));
    }
    const rows = [...unique.values()];
    const traces = [...starts];
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
        await tx.run(
          `INSERT INTO xray_segments (account_id, region, trace_id, id, start_ms, in_progress, doc) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}
           ON CONFLICT (account_id, region, trace_id, id) DO UPDATE SET start_ms = excluded.start_ms, in_progress = excluded.in_progress, doc = excluded.doc
           WHERE xray_segments.in_progress = 1 OR excluded.in_progress = 0`,
          chunk.flatMap((s) => [accountId, region, s.traceId, s.id, s.startMs, s.inProgress ? 1 : 0, s.doc]),
        );
      }
      for (let i = 0; i < traces.length; i += ROWS_PER_STATEMENT) {
        const chunk = traces.slice(i, i + ROWS_PER_STATEMENT);
        await tx.run(
          `INSERT INTO xray_traces (account_id, region, trace_id, start_ms, end_ms, summary, dirty) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, NULL, 1)').join(', ')}
           ON CONFLICT (account_id, region, trace_id) DO UPDATE SET
             start_ms = CASE WHEN excluded.start_ms < xray_traces.start_ms THEN excluded.start_ms ELSE xray_traces.start_ms END,
             dirty = xray_traces.dirty + 1`,
          chunk.flatMap(([traceId, start]) => [accountId, region, traceId, start, start]),
        );
      }
    });
  }

  /**
   * Summarizes the dirty traces a read is about to see (those starting in a range, or named). A
   * summary is written only if no segment arrived meanwhile (the dirty count is unchanged); such a
   * trace stays dirty for the next read.
   */
  async #settle(accountId: string, region: string, scope: { fromMs: number; toMs: number } | { traceIds: readonly string[] }): Promise<void> {
    const seen = new Set<string>();
    for (let round = 0; round < SETTLE_ROUNDS; round++) {
      const params: SqlValue[] = [accountId, region];
      let where = 'account_id = ? AND region = ? AND dirty > 0';
      if ('traceIds' in scope) {
        if (scope.traceIds.length === 0) return;
        where += ` AND trace_id IN (${scope.traceIds.map(() => '?').join(', ')})`;
        params.push(...scope.traceIds);
      } else {
        where += ' AND start_ms >= ? AND start_ms < ?';
        params.push(scope.fromMs, scope.toMs);
      }
      const dirty = (await this.db.all<{ trace_id: string; dirty: number }>(`SELECT trace_id, dirty FROM xray_traces WHERE ${where} ORDER BY start_ms LIMIT ${SETTLE_BATCH}`, params)).filter(
        (r) => !seen.has(`${r.trace_id}/${r.dirty}`),
      );
      if (dirty.length === 0) return;
      const docs = await segmentDocs(this.db, accountId, region, dirty.map((d) => d.trace_id));
      const byTrace = new Map<string, string[]>();
      for (const d of docs) {
        let list = byTrace.get(d.traceId);
        if (!list) byTrace.set(d.traceId, (list = []));
        list.push(d.doc);
      }
      const updates = dirty.map((d) => {
        seen.add(`${d.trace_id}/${d.dirty}`);
        return { ...d, ...this.summarize(d.trace_id, byTrace.get(d.trace_id) ?? []) };
      });
      await this.db.transaction(async (tx) => {
        for (const u of updates) {
          await tx.run('UPDATE xray_traces SET start_ms = ?, end_ms = ?, summary = ?, dirty = 0 WHERE account_id = ? AND region = ? AND trace_id = ? AND dirty = ?', [
            u.startMs,
            u.endMs,
            JSON.stringify(u.summary),
            accountId,
            region,
            u.trace_id,
            u.dirty,
          ]);
        }
      });
      if (dirty.length < SETTLE_BATCH && 'traceIds' in scope) return;
    }
  }

  /** The segment documents of traces, by trace then start time. */
  async segments(accountId: string, region: string, traceIds: readonly string[]): Promise<StoredSegment[]> {
    if (traceIds.length === 0) return [];
    return segmentDocs(this.db, accountId, region, traceIds);
  }

  /**
   * Traces whose start lies in [fromMs, toMs), by start time then id, after a position. The first
   * page (no `after`) summarizes the range's dirty traces first.
   */
  async traces(accountId: string, region: string, options: { fromMs: number; toMs: number; after?: { startMs: number; traceId: string }; limit: number }): Promise<TraceRow[]> {
    if (!options.after) await this.#settle(accountId, region, options);
    const params: SqlValue[] = [accountId, region, options.fromMs, options.toMs];
    let where = 'account_id = ? AND region = ? AND start_ms >= ? AND start_ms < ? AND summary IS NOT NULL';
    if (options.after) {
      where += ' AND (start_ms > ? OR (start_ms = ? AND trace_id > ?))';
      params.push(options.after.startMs, options.after.startMs, options.after.traceId);
    }
    params.push(options.limit);
    const rows = await this.db.all<{ trace_id: string; start_ms: number; end_ms: number; summary: string }>(
      `SELECT trace_id, start_ms, end_ms, summary FROM xray_traces WHERE ${where} ORDER BY start_ms, trace_id LIMIT ?`,
      params,
    );
    return rows.map(traceOf);
  }

  async tracesById(accountId: string, region: string, traceIds: readonly string[]): Promise<TraceRow[]> {
    if (traceIds.length === 0) return [];
    await this.#settle(accountId, region, { traceIds });
    const rows = await this.db.all<{ trace_id: string; start_ms: number; end_ms: number; summary: string }>(
      `SELECT trace_id, start_ms, end_ms, summary FROM xray_traces WHERE account_id = ? AND region = ? AND summary IS NOT NULL AND trace_id IN (${traceIds.map(() => '?').join(', ')}) ORDER BY start_ms, trace_id`,
      [accountId, region, ...traceIds],
    );
    return rows.map(traceOf);
  }

  /**
   * Deletes traces (summary rows and segments) that started before `beforeMs`, up to `limit`
   * per scope and call, and telemetry records older than it; answers the traces deleted. The
   * retention sweep calls it until it answers 0.
   */
  async expire(beforeMs: number, limit = 500): Promise<number> {
    const scopes = await this.db.all<{ account_id: string; region: string }>('SELECT account_id, region FROM xray_traces GROUP BY account_id, region');
    let deleted = 0;
    for (const { account_id: accountId, region } of scopes) {
      deleted += await this.db.transaction(async (tx) => {
        const rows = await tx.all<{ trace_id: string }>('SELECT trace_id FROM xray_traces WHERE account_id = ? AND region = ? AND start_ms < ? ORDER BY start_ms LIMIT ?', [
          accountId,
          region,
          beforeMs,
          limit,
        ]);
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          const ids = rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => r.trace_id);
          const list = ids.map(() => '?').join(', ');
          await tx.run(`DELETE FROM xray_segments WHERE account_id = ? AND region = ? AND trace_id IN (${list})`, [accountId, region, ...ids]);
          await tx.run(`DELETE FROM xray_traces WHERE account_id = ? AND region = ? AND trace_id IN (${list})`, [accountId, region, ...ids]);
        }
        return rows.length;
      });
    }
    await this.db.run('DELETE FROM xray_telemetry WHERE ts < ?', [beforeMs]);
    return deleted;
  }

  // --- sampling rules ---

  async rules(accountId: string, region: string): Promise<RuleRow[]> {
    const rows = await this.db.all<{ name: string; doc: string; created_at: number; modified_at: number }>(
      'SELECT name, doc, created_at, modified_at FROM xray_rules WHERE account_id = ? AND region = ? ORDER BY name',
      [accountId, region],
    );
    return rows.map((r) => ({ name: r.name, doc: JSON.parse(r.doc) as Record<string, unknown>, createdAt: Number(r.created_at), modifiedAt: Number(r.modified_at) }));
  }

  /** Creates a rule; false when the name is taken or `limit` rules exist. */
  async createRule(accountId: string, region: string, rule: RuleRow, limit: number): Promise<'created' | 'exists' | 'limit'> {
    return this.db.transaction(async (tx) => {
      if (await tx.get('SELECT name FROM xray_rules WHERE account_id = ? AND region = ? AND name = ?', [accountId, region, rule.name])) return 'exists';
      const count = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM xray_rules WHERE account_id = ? AND region = ?', [accountId, region]);
      if (Number(count?.n ?? 0) >= limit) return 'limit';
      await tx.run('INSERT INTO xray_rules (account_id, region, name, doc, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)', [
        accountId,
        region,
        rule.name,
        JSON.stringify(rule.doc),
        rule.createdAt,
        rule.modifiedAt,
      ]);
      return 'created';
    });
  }

  /** Replaces a rule's document; false when it does not exist. */
  async updateRule(accountId: string, region: string, name: string, doc: Record<string, unknown>, modifiedAt: number): Promise<boolean> {
    const { changes } = await this.db.run('UPDATE xray_rules SET doc = ?, modified_at = ? WHERE account_id = ? AND region = ? AND name = ?', [
      JSON.stringify(doc),
      modifiedAt,
      accountId,
      region,
      name,
    ]);
    return changes > 0;
  }

  async deleteRule(accountId: string, region: string, name: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run('DELETE FROM xray_rules WHERE account_id = ? AND region = ? AND name = ?', [accountId, region, name]);
      await tx.run('DELETE FROM xray_rule_clients WHERE account_id = ? AND region = ? AND rule = ?', [accountId, region, name]);
      return changes > 0;
    });
  }

  /**
   * Records a client's sampling statistics for a rule and answers the clients of that rule seen
   * since `activeSince` (ids in order), which share its reservoir.
   */
  async reportStatistics(
    accountId: string,
    region: string,
    stat: { rule: string; clientId: string; at: number; requests: number; sampled: number; borrowed: number },
    activeSince: number,
  ): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO xray_rule_clients (account_id, region, rule, client_id, last_seen, requests, sampled, borrowed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, region, rule, client_id) DO UPDATE SET last_seen = excluded.last_seen,
           requests = xray_rule_clients.requests + excluded.requests, sampled = xray_rule_clients.sampled + excluded.sampled,
           borrowed = xray_rule_clients.borrowed + excluded.borrowed`,
        [accountId, region, stat.rule, stat.clientId, stat.at, stat.requests, stat.sampled, stat.borrowed],
      );
      const rows = await tx.all<{ client_id: string }>(
        'SELECT client_id FROM xray_rule_clients WHERE account_id = ? AND region = ? AND rule = ? AND last_seen >= ? ORDER BY client_id',
        [accountId, region, stat.rule, activeSince],
      );
      return rows.map((r) => r.client_id);
    });
  }

  /** Per rule: the requests, sampled and borrowed counts reported so far. */
  async statistics(accountId: string, region: string): Promise<{ rule: string; requests: number; sampled: number; borrowed: number; lastSeen: number }[]> {
    const rows = await this.db.all<{ rule: string; requests: number; sampled: number; borrowed: number; last_seen: number }>(
      'SELECT rule, SUM(requests) AS requests, SUM(sampled) AS sampled, SUM(borrowed) AS borrowed, MAX(last_seen) AS last_seen FROM xray_rule_clients WHERE account_id = ? AND region = ? GROUP BY rule ORDER BY rule',
      [accountId, region],
    );
    return rows.map((r) => ({ rule: r.rule, requests: Number(r.requests), sampled: Number(r.sampled), borrowed: Number(r.borrowed), lastSeen: Number(r.last_seen) }));
  }

  // --- groups ---

  async groups(accountId: string, region: string): Promise<GroupRow[]> {
    const rows = await this.db.all<{ name: string; arn: string; doc: string }>('SELECT name, arn, doc FROM xray_groups WHERE account_id = ? AND region = ? ORDER BY name', [
      accountId,
      region,
    ]);
    return rows.map((r) => ({ name: r.name, arn: r.arn, doc: JSON.parse(r.doc) as Record<string, unknown> }));
  }

  /** Creates a group; false when the name is taken. */
  async createGroup(accountId: string, region: string, group: GroupRow): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (await tx.get('SELECT name FROM xray_groups WHERE account_id = ? AND region = ? AND name = ?', [accountId, region, group.name])) return false;
      await tx.run('INSERT INTO xray_groups (account_id, region, name, arn, doc) VALUES (?, ?, ?, ?, ?)', [accountId, region, group.name, group.arn, JSON.stringify(group.doc)]);
      return true;
    });
  }

  async updateGroup(accountId: string, region: string, name: string, doc: Record<string, unknown>): Promise<boolean> {
    const { changes } = await this.db.run('UPDATE xray_groups SET doc = ? WHERE account_id = ? AND region = ? AND name = ?', [JSON.stringify(doc), accountId, region, name]);
    return changes > 0;
  }

  async deleteGroup(accountId: string, region: string, name: string): Promise<boolean> {
    const { changes } = await this.db.run('DELETE FROM xray_groups WHERE account_id = ? AND region = ? AND name = ?', [accountId, region, name]);
    return changes > 0;
  }

  // --- tags and telemetry ---

  async tags(arn: string): Promise<Record<string, string>> {
    const row = await this.db.get<{ tags: string }>('SELECT tags FROM xray_tags WHERE arn = ?', [arn]);
    return row ? (JSON.parse(row.tags) as Record<string, string>) : {};
  }

  /** Merges `add` into a resource's tags and removes `remove`, atomically. */
  async changeTags(arn: string, add: Record<string, string>, remove: readonly string[]): Promise<Record<string, string>> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ tags: string }>(`SELECT tags FROM xray_tags WHERE arn = ?${tx.dialect.forUpdate}`, [arn]);
      const tags = { ...(row ? (JSON.parse(row.tags) as Record<string, string>) : {}), ...add };
      for (const k of remove) delete tags[k];
      await tx.run('INSERT INTO xray_tags (arn, tags) VALUES (?, ?) ON CONFLICT (arn) DO UPDATE SET tags = excluded.tags', [arn, JSON.stringify(tags)]);
      return tags;
    });
  }

  async dropTags(arn: string): Promise<void> {
    await this.db.run('DELETE FROM xray_tags WHERE arn = ?', [arn]);
  }

  async addTelemetry(accountId: string, region: string, resource: string, records: readonly { ts: number; doc: unknown }[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const r of records) await tx.run('INSERT INTO xray_telemetry (account_id, region, resource, ts, doc) VALUES (?, ?, ?, ?, ?)', [accountId, region, resource, r.ts, JSON.stringify(r.doc)]);
    });
  }

  async telemetryCount(accountId: string, region: string): Promise<number> {
    const row = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM xray_telemetry WHERE account_id = ? AND region = ?', [accountId, region]);
    return Number(row?.n ?? 0);
  }
}

function traceOf(r: { trace_id: string; start_ms: number; end_ms: number; summary: string }): TraceRow {
  return { traceId: r.trace_id, startMs: Number(r.start_ms), endMs: Number(r.end_ms), summary: JSON.parse(r.summary) };
}

async function segmentDocs(db: SqlExecutor, accountId: string, region: string, traceIds: readonly string[]): Promise<StoredSegment[]> {
  const rows = await db.all<{ trace_id: string; id: string; start_ms: number; in_progress: number; doc: string }>(
    `SELECT trace_id, id, start_ms, in_progress, doc FROM xray_segments WHERE account_id = ? AND region = ? AND trace_id IN (${traceIds.map(() => '?').join(', ')}) ORDER BY trace_id, start_ms, id`,
    [accountId, region, ...traceIds],
  );
  return rows.map((r) => ({ traceId: r.trace_id, id: r.id, startMs: Number(r.start_ms), inProgress: Number(r.in_progress) === 1, doc: r.doc }));
}
