import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@atoll/storage';
import { AuditLog, type AuditEvent } from './audit-log.js';

function event(name: string, accountId = '111111111111', time = '2026-11-29T10:00:00Z'): AuditEvent {
  return {
    eventVersion: '1.08',
    eventID: `${name}-id`,
    eventTime: time,
    eventSource: 'sqs.amazonaws.com',
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: '127.0.0.1',
    userAgent: 'test',
    userIdentity: { type: 'Root', principalId: accountId, arn: `arn:aws:iam::${accountId}:root`, accountId },
    requestParameters: { queueName: 'q' },
    responseElements: null,
    requestID: `${name}-request`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: accountId,
  };
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atoll-audit-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'events recorded before open are kept; queries are per account, newest first, filtered and paged',
  withDir(async (dir) => {
    const log = new AuditLog(dir);
    log.record(event('CreateQueue'));
    await log.open();
    log.record(event('SendMessage', '111111111111', '2026-11-29T10:00:05Z'));
    log.record(event('DeleteQueue', '222222222222'));
    const all = await log.query({ accountId: '111111111111' });
    assert.deepEqual(all.map((r) => r.event.eventName), ['SendMessage', 'CreateQueue']);
    assert.deepEqual(all[0]!.event, event('SendMessage', '111111111111', '2026-11-29T10:00:05Z'));
    const named = await log.query({ accountId: '111111111111', eventName: 'CreateQueue' });
    assert.deepEqual(named.map((r) => r.event.requestID), ['CreateQueue-request']);
    const page = await log.query({ accountId: '111111111111', before: all[0]!.seq });
    assert.deepEqual(page.map((r) => r.event.eventName), ['CreateQueue']);
    const late = await log.query({ accountId: '111111111111', startTime: new Date('2026-11-29T10:00:01Z') });
    assert.deepEqual(late.map((r) => r.event.eventName), ['SendMessage']);
    await log.close();

    const reopened = new AuditLog(dir);
    assert.equal((await reopened.query({ accountId: '222222222222' }))[0]?.event.eventName, 'DeleteQueue');
    await reopened.close();
  }),
);

test(
  'a trail written by the first schema keeps its events after the upgrade',
  withDir(async (dir) => {
    mkdirSync(join(dir, 'audit'));
    const db = openDatabase(join(dir, 'audit', 'audit.db'), [
      {
        version: 1,
        name: 'audit events',
        up: `CREATE TABLE audit_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
          event_time TEXT NOT NULL, account_id TEXT NOT NULL, region TEXT NOT NULL, event_source TEXT NOT NULL,
          event_name TEXT NOT NULL, read_only INTEGER NOT NULL, error_code TEXT, event TEXT NOT NULL);
          CREATE INDEX audit_events_time ON audit_events (account_id, event_time);`,
      },
    ]);
    const old = event('CreateTopic');
    db.prepare(
      `INSERT INTO audit_events (event_id, event_time, account_id, region, event_source, event_name, read_only, error_code, event)
       VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?)`,
    ).run(old.eventID, old.eventTime, old.recipientAccountId, old.awsRegion, old.eventSource, old.eventName, JSON.stringify(old));
    db.close();

    const log = new AuditLog(dir);
    log.record(event('Publish'));
    const rows = await log.query({ accountId: '111111111111' });
    assert.deepEqual(rows.map((r) => r.event.eventName), ['Publish', 'CreateTopic']);
    assert.ok(rows[0]!.seq > rows[1]!.seq);
    await log.close();
  }),
);

test(
  'paging walks every event once, newest first, across batches and time bounds',
  withDir(async (dir) => {
    const log = new AuditLog(dir);
    await log.open();
    const names: string[] = [];
    for (let i = 0; i < 600; i++) {
      names.push(`Op${i}`);
      log.record(event(`Op${i}`, '111111111111', `2026-11-29T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`));
      if (i % 100 === 99) log.flush();
    }
    log.record(event('Other', '222222222222'));
    const seen: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await log.query({ accountId: '111111111111', limit: 70, before });
      if (page.length === 0) break;
      seen.push(...page.map((r) => r.event.eventName));
      before = page[page.length - 1]!.seq;
    }
    assert.deepEqual(seen, [...names].reverse());
    const window = await log.query({ accountId: '111111111111', startTime: new Date('2026-11-29T10:02:00Z'), endTime: new Date('2026-11-29T10:02:59.900Z'), limit: 1000 });
    assert.deepEqual(window.map((r) => r.event.eventName), names.slice(120, 180).reverse());
    await log.close();
  }),
);

test(
  'a page bounded by batches stops early and says where to read on',
  withDir(async (dir) => {
    const log = new AuditLog(dir);
    await log.open();
    for (let batch = 0; batch < 5; batch++) {
      for (let i = 0; i < 3; i++) log.record(event(batch === 0 && i === 0 ? 'Rare' : 'Common'));
      log.flush();
    }
    const rare = (e: { eventName: string }) => e.eventName === 'Rare';
    const first = await log.page({ accountId: '111111111111', match: rare, maxBatches: 2 });
    assert.deepEqual(first.events, []);
    assert.ok(first.next !== undefined);
    const second = await log.page({ accountId: '111111111111', match: rare, maxBatches: 2, before: first.next });
    assert.deepEqual(second.events, []);
    const third = await log.page({ accountId: '111111111111', match: rare, maxBatches: 2, before: second.next });
    assert.deepEqual(third.events.map((r) => r.event.eventName), ['Rare']);
    assert.equal(third.next, undefined);
    // Without a bound the whole trail is read at once; a full page says where the next one starts.
    const all = await log.page({ accountId: '111111111111', limit: 15 });
    assert.equal(all.events.length, 15);
    assert.equal(all.next, all.events[14]!.seq);
    await log.close();
  }),
);

test(
  'an embedded trail keeps its events in append-only files that rows name; bytes no row names and a cut file are skipped',
  withDir(async (dir) => {
    const log = new AuditLog(dir);
    await log.open();
    log.record(event('First'));
    await log.flush();
    log.record(event('Second'));
    await log.close();
    const db = openDatabase(join(dir, 'audit', 'audit.db'), []);
    const rows = db.prepare('SELECT events FROM audit_batches ORDER BY seq').pluck().all() as string[];
    db.close();
    assert.equal(rows.length, 2);
    for (const r of rows) assert.match(r, /^@1:\d+:\d+$/);
    const file = join(dir, 'audit', 'trail', '000001.json');
    const bytes = readFileSync(file, 'utf8');
    assert.equal(JSON.parse(bytes.slice(0, Number(rows[0]!.split(':')[2])))[0].eventName, 'First');
    // A crash between an append and its row leaves bytes nothing names: the next batch goes after them.
    appendFileSync(file, '[{"torn":');
    const reopened = new AuditLog(dir);
    reopened.record(event('Third'));
    assert.deepEqual((await reopened.query({ accountId: '111111111111' })).map((r) => r.event.eventName), ['Third', 'Second', 'First']);
    await reopened.close();
    // A batch whose bytes were lost (zeros after a power cut) reads as empty; the others as before.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(8), 0, 8, Number(rows[1]!.split(':')[1]));
    closeSync(fd);
    const damaged = new AuditLog(dir);
    assert.deepEqual((await damaged.query({ accountId: '111111111111' })).map((r) => r.event.eventName), ['Third', 'First']);
    await damaged.close();
    // A file cut short: the batches past its end read as empty.
    truncateSync(file, Number(rows[1]!.split(':')[1]));
    const cut = new AuditLog(dir);
    assert.deepEqual((await cut.query({ accountId: '111111111111' })).map((r) => r.event.eventName), ['First']);
    await cut.close();
  }),
);
