// What a node does when its PostgreSQL goes away or is not what it expects: unreachable at start, a
// clear error naming the URL (password hidden) and exit 1; unreachable later, 503 ServiceUnavailable
// within 10 s and recovery by itself when the database returns; a schema from a newer Atoll, a refusal
// to start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CreateQueueCommand, ListQueuesCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { DeleteTaskDefinitionsCommand, ECSClient, ECSServiceException } from '@aws-sdk/client-ecs';
import { createPostgresTestDatabase, spawnPlatform, startPlatform, type PostgresTestDatabase } from '@atoll/test-support';

/** A TCP relay to PostgreSQL that a test can cut (every connection dropped, new ones refused) and restore. */
class Relay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server!.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}

const database = await createPostgresTestDatabase();
const skip = 'url' in database ? false : database.unavailable;

describe('a node whose database goes away', { skip }, () => {
  const db = database as PostgresTestDatabase;
  const dbUrl = new URL(db.url);
  const relay = new Relay({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  let sqs: SQSClient;

  before(async () => {
    await relay.open();
    const viaRelay = new URL(db.url);
    viaRelay.port = String(relay.port);
    platform = await startPlatform({ services: ['sqs'], config: { databaseUrl: viaRelay.toString() } });
    sqs = platform.client(SQSClient);
    await sqs.send(new CreateQueueCommand({ QueueName: 'before-outage' }));
  });

  after(async () => {
    await platform.stop();
    await relay.cut();
    await db.drop();
  });

  test('answers 503 ServiceUnavailable within 10 s while the database is unreachable, and recovers when it returns', async () => {
    await relay.cut();
    const started = Date.now();
    await assert.rejects(sqs.send(new CreateQueueCommand({ QueueName: 'during-outage' })), (error: unknown) => {
      assert.ok(error instanceof SQSServiceException);
      assert.equal(error.$metadata.httpStatusCode, 503);
      assert.equal(error.name, 'ServiceUnavailable');
      return true;
    });
    assert.ok(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);

    await relay.open();
    let queues: string[] = [];
    for (let i = 0; i < 50; i++) {
      try {
        await sqs.send(new CreateQueueCommand({ QueueName: 'after-outage' }));
        queues = (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    assert.deepEqual(queues.map((u) => u.split('/').pop()).sort(), ['after-outage', 'before-outage']);
  });
});

describe('starting a node against a database it cannot use', { skip }, () => {
  test('an unreachable database stops the start with an error naming the URL without its password', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'atoll-nodb-'));
    try {
      await assert.rejects(
        spawnPlatform({ dataDir, env: { ATOLL_DATABASE_URL: 'postgres://atoll:s3cret@127.0.0.1:1/atoll' } }),
        (error: Error) => {
          assert.match(error.message, /exited before listening/);
          assert.match(error.message, /atoll: the database at postgres:\/\/atoll:\*\*\*@127\.0\.0\.1:1\/atoll cannot be reached/);
          assert.doesNotMatch(error.message, /s3cret/);
          return true;
        },
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a schema written by a newer Atoll stops the start with a clear message', async () => {
    const created = await createPostgresTestDatabase();
    assert.ok('url' in created);
    const dataDir = mkdtempSync(join(tmpdir(), 'atoll-newer-'));
    try {
      const first = await spawnPlatform({ dataDir, services: ['sqs'], env: { ATOLL_DATABASE_URL: created.url } });
      await first.kill('SIGTERM');
      const client = new pg.Client({ connectionString: created.url });
      await client.connect();
      await client.query(`INSERT INTO platform.atoll_migrations (version, name, applied_at) VALUES (99, 'from the future', 'now')`);
      await client.end();
      await assert.rejects(spawnPlatform({ dataDir, services: ['sqs'], env: { ATOLL_DATABASE_URL: created.url } }), (error: Error) => {
        assert.match(error.message, /schema platform .* has version 99, newer than this Atoll knows \(1\)/);
        return true;
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await created.drop();
    }
  });
});

// PostgreSQL keeps no U+0000 in text (SQLite does): such a value is the caller's fault, answered 400
// in the service's own validation dialect and never 500. Found by the edge fuzzer on PostgreSQL.
const nulDatabase = await createPostgresTestDatabase();

describe('a value PostgreSQL cannot store', { skip: 'url' in nulDatabase ? false : nulDatabase.unavailable }, () => {
  const db = nulDatabase as PostgresTestDatabase;
  let platform: Awaited<ReturnType<typeof startPlatform>>;

  before(async () => {
    platform = await startPlatform({ services: ['ecs', 'sqs'], config: { databaseUrl: db.url } });
  });

  after(async () => {
    await platform.stop();
    await db.drop();
  });

  test('a NUL character answers 400, not 500, and the platform goes on serving', async () => {
    const ecs = platform.client(ECSClient);
    await assert.rejects(ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['web:1', '\u0000'] })), (e: ECSServiceException) => {
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.name, 'ValidationException');
      return true;
    });
    const sqs = platform.client(SQSClient);
    await sqs.send(new CreateQueueCommand({ QueueName: 'after-nul' }));
    assert.ok((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.some((u) => u.endsWith('/after-nul')));
  });
});
