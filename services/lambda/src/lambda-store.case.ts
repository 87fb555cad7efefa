// The Lambda store's contract, run on every engine (lambda-store.test.ts): functions and versions,
// aliases with routing, layers, event source mappings, function URLs, the asynchronous invocation
// queue, and on PostgreSQL what several nodes need: caches dropped by signals, version numbers
// taken once, and a function made on one node served by another.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import AdmZip from 'adm-zip';
import type { StorageBackend } from '@atoll/core';
import { fakePlatform, requestContext, tempDir, type EngineContext } from '@atoll/test-support';
import { LambdaStore } from './lambda-store.js';
import { LambdaProvider } from './lambda-provider.js';
import type { AliasRecord, EventSourceMappingRecord, FunctionRecord, LayerVersionRecord, UrlConfigRecord, VersionRecord } from './lambda-records.js';

const scope = { account: '000000000000', region: 'us-east-1' };
const arnOf = (name: string) => `arn:aws:lambda:${scope.region}:${scope.account}:function:${name}`;
const ONE_NODE = 'SQLite serves one node';

function fn(name: string): FunctionRecord {
  return { name, arn: arnOf(name), lastVersion: 0, policies: {}, policyRevisions: {}, tags: {}, eventInvokeConfigs: {} };
}

function version(name: string, v: string, description = ''): VersionRecord {
  return {
    name,
    version: v,
    codeKey: 'c'.repeat(32),
    layerKeys: [],
    config: { FunctionName: name, FunctionArn: v === '$LATEST' ? arnOf(name) : `${arnOf(name)}:${v}`, Version: v, Description: description } as VersionRecord['config'],
  };
}

function alias(name: string, aliasName: string, target: string, weights?: Record<string, number>): AliasRecord {
  return {
    functionName: name,
    name: aliasName,
    AliasArn: `${arnOf(name)}:${aliasName}`,
    Name: aliasName,
    FunctionVersion: target,
    Description: '',
    ...(weights ? { RoutingConfig: { AdditionalVersionWeights: weights } } : {}),
    RevisionId: randomUUID(),
  };
}

function mapping(name: string, source: string): EventSourceMappingRecord {
  const uuid = randomUUID();
  return {
    uuid,
    account: scope.account,
    region: scope.region,
    functionName: name,
    doc: {
      UUID: uuid,
      EventSourceArn: source,
      FunctionArn: arnOf(name),
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      State: 'Enabled',
      StateTransitionReason: 'USER_INITIATED',
      LastModified: Date.now(),
      LastProcessingResult: 'No records processed',
      EventSourceMappingArn: `arn:aws:lambda:${scope.region}:${scope.account}:event-source-mapping:${uuid}`,
    },
  };
}

function url(name: string, qualifier = '$LATEST'): UrlConfigRecord {
  return {
    urlId: randomUUID().replace(/-/g, ''),
    account: scope.account,
    region: scope.region,
    functionName: name,
    qualifier,
    FunctionArn: arnOf(name),
    AuthType: 'NONE',
    InvokeMode: 'BUFFERED',
    CreationTime: new Date().toISOString(),
    LastModifiedTime: new Date().toISOString(),
  };
}

async function createFunction(store: LambdaStore, name: string): Promise<void> {
  await store.transaction(async (t) => {
    await t.putFunction(scope, fn(name));
    await t.putVersion(scope, version(name, '$LATEST'));
  });
}

const publish = (store: LambdaStore, name: string) => store.transaction((t) => t.addVersion(scope, name, (v) => version(name, v)));

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function lambdaStoreCases(engine: EngineContext): void {
  const open = async (): Promise<{ storage: StorageBackend; store: LambdaStore }> => {
    const storage = await engine.open();
    return { storage, store: await LambdaStore.open(storage) };
  };

  it('keeps a function with its $LATEST and published versions, numbered from 1 and listed in order', async () => {
    const { store } = await open();
    try {
      await createFunction(store, 'f');
      assert.equal((await publish(store, 'f')).version, '1');
      assert.equal((await publish(store, 'f')).version, '2');
      assert.equal((await store.getFunction(scope, 'f'))?.lastVersion, 2);
      assert.deepEqual((await store.listVersions(scope, 'f')).map((v) => v.version), ['$LATEST', '1', '2']);
      assert.equal((await store.getVersion(scope, 'f', '2'))?.config.FunctionArn, `${arnOf('f')}:2`);
      await createFunction(store, 'B-upper');
      await createFunction(store, 'a_lower');
      assert.deepEqual((await store.listFunctions(scope)).map((f) => f.name), ['B-upper', 'a_lower', 'f']);
      assert.deepEqual((await store.listLatestVersions(scope)).map((v) => v.name), ['B-upper', 'a_lower', 'f']);
      assert.deepEqual((await store.listScopeVersions(scope)).map((v) => `${v.name}:${v.version}`), ['B-upper:$LATEST', 'a_lower:$LATEST', 'f:$LATEST', 'f:1', 'f:2']);
      assert.deepEqual(await store.listFunctions({ account: '111111111111', region: scope.region }), []);
    } finally {
      await store.close();
    }
  });

  it('serves a changed function, version or alias at once on the node that changed it', async () => {
    const { store } = await open();
    try {
      await createFunction(store, 'f');
      await store.transaction((t) => t.putAlias(scope, alias('f', 'live', '$LATEST')));
      assert.equal((await store.getVersion(scope, 'f', '$LATEST'))?.config.Description, '');
      assert.equal((await store.getAlias(scope, 'f', 'live'))?.FunctionVersion, '$LATEST');
      await store.transaction(async (t) => {
        await t.putVersion(scope, version('f', '$LATEST', 'changed'));
        await t.putAlias(scope, alias('f', 'live', '1'));
        await t.putFunction(scope, { ...fn('f'), reservedConcurrency: 7 });
      });
      assert.equal((await store.getVersion(scope, 'f', '$LATEST'))?.config.Description, 'changed');
      assert.equal((await store.getAlias(scope, 'f', 'live'))?.FunctionVersion, '1');
      assert.equal((await store.getFunction(scope, 'f'))?.reservedConcurrency, 7);
      assert.equal(await store.reservedSum(scope), 7);
      // Cached records are shared: they cannot be changed by a reader.
      const cached = (await store.getFunction(scope, 'f'))!;
      assert.throws(() => {
        cached.tags.x = 'y';
      }, TypeError);
    } finally {
      await store.close();
    }
  });

  it('keeps an alias with its routing configuration and lists aliases by name', async () => {
    const { store } = await open();
    try {
      await createFunction(store, 'f');
      await publish(store, 'f');
      await publish(store, 'f');
      await store.transaction(async (t) => {
        await t.putAlias(scope, alias('f', 'prod', '1', { '2': 0.25 }));
        await t.putAlias(scope, alias('f', 'beta', '2'));
      });
      assert.deepEqual((await store.getAlias(scope, 'f', 'prod'))?.RoutingConfig, { AdditionalVersionWeights: { '2': 0.25 } });
      assert.deepEqual((await store.listAliases(scope, 'f')).map((a) => a.name), ['beta', 'prod']);
      await store.transaction((t) => t.putAlias(scope, alias('f', 'prod', '2')));
      assert.equal((await store.getAlias(scope, 'f', 'prod'))?.RoutingConfig, undefined);
      await store.transaction((t) => t.deleteAlias(scope, 'f', 'beta'));
      assert.equal(await store.getAlias(scope, 'f', 'beta'), undefined);
      assert.deepEqual((await store.listAliases(scope, 'f')).map((a) => a.name), ['prod']);
    } finally {
      await store.close();
    }
  });

  it('deletes a function with its versions, aliases, URLs and event source mappings, and signals the mappings', async () => {
    const { store } = await open();
    const changes: string[] = [];
    const stop = store.onMappingChange((uuid) => changes.push(uuid));
    try {
      await createFunction(store, 'gone');
      await createFunction(store, 'kept');
      await publish(store, 'gone');
      const m = mapping('gone', 'arn:aws:sqs:us-east-1:000000000000:q');
      const other = mapping('kept', 'arn:aws:sqs:us-east-1:000000000000:q');
      await store.transaction(async (t) => {
        await t.putAlias(scope, alias('gone', 'live', '1'));
        await t.putUrl(url('gone'));
        await t.putMapping(m);
        await t.putMapping(other);
      });
      await store.transaction((t) => t.deleteFunction(scope, 'gone'));
      assert.equal(await store.getFunction(scope, 'gone'), undefined);
      assert.equal(await store.getVersion(scope, 'gone', '1'), undefined);
      assert.equal(await store.getAlias(scope, 'gone', 'live'), undefined);
      assert.deepEqual(await store.listUrls(scope, 'gone'), []);
      assert.deepEqual((await store.listMappings(scope)).map((x) => x.uuid), [other.uuid]);
      assert.ok(await store.getFunction(scope, 'kept'));
      await eventually(async () => changes, (c) => c.includes(''));
      assert.ok(changes.includes(m.uuid));
      assert.ok(changes.includes(''), 'deleting a function with mappings signals that every mapping may have changed');
    } finally {
      stop();
      await store.close();
    }
  });

  it('numbers layer versions after the highest one ever published, deleted ones included', async () => {
    const { store } = await open();
    const layer = (name: string) => (v: number): LayerVersionRecord =>
      ({ layerName: name, version: v, Version: v, codeKey: 'k'.repeat(32), LayerVersionArn: `arn:aws:lambda:us-east-1:000000000000:layer:${name}:${v}` }) as LayerVersionRecord;
    try {
      assert.equal((await store.transaction((t) => t.addLayerVersion(scope, 'libs', layer('libs')))).version, 1);
      assert.equal((await store.transaction((t) => t.addLayerVersion(scope, 'libs', layer('libs')))).version, 2);
      assert.equal((await store.transaction((t) => t.addLayerVersion(scope, 'other', layer('other')))).version, 1);
      await store.transaction((t) => t.deleteLayerVersion(scope, 'libs', 2));
      assert.equal(await store.getLayerVersion(scope, 'libs', 2), undefined);
      assert.equal((await store.transaction((t) => t.addLayerVersion(scope, 'libs', layer('libs')))).version, 3);
      assert.deepEqual((await store.listLayerVersions(scope, 'libs')).map((l) => l.version), [3, 1]);
      assert.deepEqual((await store.listLayerVersions(scope)).map((l) => `${l.layerName}:${l.version}`), ['libs:3', 'libs:1', 'other:1']);
    } finally {
      await store.close();
    }
  });

  it('keeps event source mappings; a configuration change is signalled and progress is not', async () => {
    const { store } = await open();
    const changes: string[] = [];
    const stop = store.onMappingChange((uuid) => changes.push(uuid));
    try {
      await createFunction(store, 'f');
      const m = mapping('f', 'arn:aws:sqs:us-east-1:000000000000:q');
      await store.transaction((t) => t.putMapping(m));
      await eventually(async () => changes, (c) => c.includes(m.uuid));
      assert.deepEqual(changes, [m.uuid]);
      await store.updateMappingProgress(m.uuid, (current) => {
        current.doc.LastProcessingResult = 'OK';
        current.checkpoints = { 'shard-1': '42' };
        return true;
      });
      const stored = (await store.getMapping(m.uuid))!;
      assert.equal(stored.doc.LastProcessingResult, 'OK');
      assert.deepEqual(stored.checkpoints, { 'shard-1': '42' });
      assert.deepEqual((await store.listMappings()).map((x) => x.uuid), [m.uuid]);
      assert.deepEqual(await store.listMappings({ account: '111111111111', region: 'us-east-1' }), []);
      await store.transaction((t) => t.deleteMapping(m.uuid));
      assert.equal(await store.getMapping(m.uuid), undefined);
      await eventually(async () => changes, (c) => c.length === 2);
      assert.deepEqual(changes, [m.uuid, m.uuid]);
    } finally {
      stop();
      await store.close();
    }
  });

  it('refuses a second URL for the same function and qualifier as a unique violation', async () => {
    const { store } = await open();
    try {
      await createFunction(store, 'f');
      const first = url('f');
      await store.transaction((t) => t.putUrl(first));
      assert.equal((await store.getUrlById(first.urlId))?.functionName, 'f');
      assert.equal((await store.getUrl(scope, 'f', '$LATEST'))?.urlId, first.urlId);
      await assert.rejects(store.transaction((t) => t.putUrl(url('f'))), (error: { code?: string }) => ['23505', 'SQLITE_CONSTRAINT_UNIQUE'].includes(error.code ?? ''));
      await store.transaction((t) => t.putUrl({ ...first, AuthType: 'AWS_IAM' }));
      assert.equal((await store.getUrlById(first.urlId))?.AuthType, 'AWS_IAM');
      await store.transaction((t) => t.deleteUrl(first.urlId));
      assert.deepEqual(await store.listUrls(scope, 'f'), []);
    } finally {
      await store.close();
    }
  });

  it('queues asynchronous invocations by due time, leaves out running ones, and reschedules and finishes them', async () => {
    const { store } = await open();
    let wakes = 0;
    const stop = store.onAsyncQueued(() => wakes++);
    try {
      const record = (requestId: string) => ({ account: scope.account, region: scope.region, functionName: 'f', qualifier: '$LATEST', requestId, attempts: 0, enqueuedAt: 1 });
      await store.enqueueAsync(record('late'), Buffer.from('{"n":3}'), 3000);
      await store.enqueueAsync(record('early'), Buffer.from('{"n":1}'), 1000);
      await store.enqueueAsync(record('middle'), Buffer.from('{"n":2}'), 2000);
      await eventually(async () => wakes, (n) => n >= 3);
      assert.ok(wakes >= 3);
      assert.equal(await store.countAsync(), 3);
      assert.equal(await store.nextAsyncDue(), 1000);
      const due = await store.dueAsync(2500, 10, new Set());
      assert.deepEqual(due.map((d) => d.record.requestId), ['early', 'middle']);
      assert.deepEqual(JSON.parse(due[0]!.payload.toString()), { n: 1 });
      assert.deepEqual((await store.dueAsync(2500, 10, new Set([due[0]!.id]))).map((d) => d.record.requestId), ['middle']);
      await store.rescheduleAsync(due[0]!.id, { ...due[0]!.record, attempts: 1 }, 5000);
      await store.finishAsync(due[1]!.id);
      assert.deepEqual((await store.dueAsync(10_000, 10, new Set())).map((d) => `${d.record.requestId}:${d.record.attempts}`), ['late:0', 'early:1']);
      assert.equal(await store.countAsync(), 2);
    } finally {
      stop();
      await store.close();
    }
  });

  it('creates a setting once, and keeps the first value', async () => {
    const { store } = await open();
    try {
      const value = await store.meta('secret', () => 'first');
      assert.equal(value, 'first');
      assert.equal(await store.meta('secret', () => 'second'), 'first');
      await store.putMeta('other', 'x');
      assert.equal(await store.getMeta('other'), 'x');
    } finally {
      await store.close();
    }
  });

  it('publishing versions from two nodes at once gives distinct consecutive version numbers', async () => {
    const { storage } = await open();
    const one = await LambdaStore.open(storage);
    const two = engine.engine === 'postgres' ? await LambdaStore.open(await engine.node()) : one;
    try {
      await createFunction(one, 'race');
      const published = await Promise.all(Array.from({ length: 6 }, () => [publish(one, 'race'), publish(two, 'race')]).flat());
      assert.deepEqual(published.map((v) => Number(v.version)).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      assert.equal((await two.transaction((t) => t.getFunction(scope, 'race')))?.lastVersion, 12);
      assert.equal((await one.listVersions(scope, 'race')).length, 13);
    } finally {
      await one.close();
      if (two !== one) await two.close();
    }
  });

  it('a setting created on two nodes at once has one value on both', { skip: engine.engine === 'sqlite' ? ONE_NODE : false }, async () => {
    const one = await LambdaStore.open(await engine.open());
    const two = await LambdaStore.open(await engine.node());
    try {
      const [a, b] = await Promise.all([one.meta('code-url-secret', () => 'from-one'), two.meta('code-url-secret', () => 'from-two')]);
      assert.equal(a, b);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('a function changed on one node is read fresh on another, whose cache the signal cleared', { skip: engine.engine === 'sqlite' ? ONE_NODE : false }, async () => {
    const one = await LambdaStore.open(await engine.open());
    const two = await LambdaStore.open(await engine.node());
    try {
      assert.equal(await two.getFunction(scope, 'f'), undefined);
      await createFunction(one, 'f');
      // A miss is not cached: the function made on node one is found on node two at once.
      assert.equal((await two.getFunction(scope, 'f'))?.name, 'f');
      assert.equal((await two.getVersion(scope, 'f', '$LATEST'))?.config.Description, '');
      assert.equal(await two.reservedSum(scope), 0);
      await one.transaction(async (t) => {
        await t.putVersion(scope, version('f', '$LATEST', 'changed on one'));
        await t.putFunction(scope, { ...fn('f'), reservedConcurrency: 5 });
      });
      const seen = await eventually(() => two.getVersion(scope, 'f', '$LATEST'), (v) => v?.config.Description === 'changed on one');
      assert.equal(seen?.config.Description, 'changed on one');
      // Each cached read is fresh once the signal of the change has arrived (a version may be read
      // fresh earlier, when an older signal happened to clear it).
      assert.equal(await eventually(() => two.reservedSum(scope), (sum) => sum === 5), 5);
      await one.transaction((t) => t.deleteFunction(scope, 'f'));
      assert.equal(await eventually(() => two.getFunction(scope, 'f'), (f) => f === undefined), undefined);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('a function created on node 1 is gettable and invocable on node 2, and its update reaches node 2', { skip: engine.engine === 'sqlite' ? ONE_NODE : false, timeout: 60_000 }, async () => {
    const nodes = [await engine.open(), await engine.node()].map((storage) => {
      const platform = { ...fakePlatform(tempDir('atoll-lambda-node-')), storage };
      platform.handlers.set('sts.AssumeRole', fakeAssumeRole);
      return { platform, provider: new LambdaProvider(platform) };
    });
    const [one, two] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const ctx = requestContext({ requestId: randomUUID(), service: 'lambda' });
    try {
      await assert.rejects(
        Promise.resolve(two.provider.operations.Invoke!({ FunctionName: 'shared' }, ctx)),
        (error: { code?: string }) => error.code === 'ResourceNotFoundException',
      );
      const archive = new AdmZip();
      archive.addFile('index.js', Buffer.from(`exports.handler = async (e) => ({ echo: e, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, description: process.env.WHO });`));
      await one.provider.operations.CreateFunction!({
        FunctionName: 'shared', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler',
        Code: { ZipFile: archive.toBuffer() }, Environment: { Variables: { WHO: 'first' } },
      }, ctx);
      const got = (await two.provider.operations.GetFunction!({ FunctionName: 'shared' }, ctx)) as { Configuration: { FunctionName: string } };
      assert.equal(got.Configuration.FunctionName, 'shared');
      const out = (await two.provider.operations.Invoke!({ FunctionName: 'shared', Payload: Buffer.from('{"n":1}') }, ctx)) as { StatusCode: number; Payload: Buffer };
      assert.equal(out.StatusCode, 200);
      assert.deepEqual(JSON.parse(Buffer.from(out.Payload).toString()), { echo: { n: 1 }, version: '$LATEST', description: 'first' });

      await one.provider.operations.UpdateFunctionConfiguration!({ FunctionName: 'shared', Environment: { Variables: { WHO: 'second' } } }, ctx);
      const updated = await eventually(
        async () => (await two.provider.operations.GetFunctionConfiguration!({ FunctionName: 'shared' }, ctx)) as { Environment?: { Variables: Record<string, string> } },
        (c) => c.Environment?.Variables.WHO === 'second',
      );
      assert.equal(updated.Environment?.Variables.WHO, 'second');
      const again = (await two.provider.operations.Invoke!({ FunctionName: 'shared', Payload: Buffer.from('{"n":2}') }, ctx)) as { Payload: Buffer };
      assert.equal(JSON.parse(Buffer.from(again.Payload).toString()).description, 'second');
    } finally {
      for (const node of nodes) {
        await node.provider.close();
        node.platform.cleanup();
      }
    }
  });

  it('an Event invocation and an event source mapping made on a follower node are run by the leader node', { skip: engine.engine === 'sqlite' ? ONE_NODE : false, timeout: 60_000 }, async () => {
    const leader = { ...fakePlatform(tempDir('atoll-lambda-node-')), storage: await engine.open() };
    const follower = { ...fakePlatform(tempDir('atoll-lambda-node-')), storage: await engine.node() };
    // The leader's view of SQS: one queue of messages for the mapping, one queue for the destination.
    const source = ['m1', 'm2'];
    const destination: string[] = [];
    let receives = 0;
    leader.handlers.set('sqs.GetQueueUrl', (input) => ({ QueueUrl: `http://fake/000000000000/${(input as { QueueName: string }).QueueName}` }));
    leader.handlers.set('sqs.ReceiveMessage', async () => {
      receives++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { Messages: source.splice(0).map((body) => ({ MessageId: randomUUID(), ReceiptHandle: body, Body: body })) };
    });
    leader.handlers.set('sqs.DeleteMessageBatch', (input) => ({ Successful: (input as { Entries: { Id: string }[] }).Entries.map((e) => ({ Id: e.Id })), Failed: [] }));
    leader.handlers.set('sqs.SendMessage', (input) => {
      destination.push((input as { MessageBody: string }).MessageBody);
      return { MessageId: randomUUID() };
    });
    for (const node of [leader, follower]) {
      node.handlers.set('sts.AssumeRole', fakeAssumeRole);
      node.handlers.set('iam.SimulatePrincipalPolicy', fakeSimulateAllowed);
    }
    const one = new LambdaProvider(leader, { pollWaitSeconds: 0 });
    const two = new LambdaProvider(follower, { pollWaitSeconds: 0 });
    const ctx = requestContext({ requestId: randomUUID(), service: 'lambda' });
    try {
      await one.start();
      // The follower serves the API but runs no loop: it is not started, so it never leads.
      const archive = new AdmZip();
      archive.addFile('index.js', Buffer.from(`exports.handler = async (e) => { console.log('got', JSON.stringify(e.Records ? e.Records.map((r) => r.body) : e)); return { ok: true }; };`));
      await two.operations.CreateFunction!({ FunctionName: 'worker', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler', Code: { ZipFile: archive.toBuffer() } }, ctx);
      await two.operations.PutFunctionEventInvokeConfig!({ FunctionName: 'worker', DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:000000000000:done' } } }, ctx);
      const queued = (await two.operations.Invoke!({ FunctionName: 'worker', InvocationType: 'Event', Payload: Buffer.from('{"async":true}') }, ctx)) as { StatusCode: number };
      assert.equal(queued.StatusCode, 202);
      const delivered = await eventually(async () => destination, (d) => d.length === 1, 20_000);
      assert.deepEqual(JSON.parse(delivered[0]!).requestPayload, { async: true });

      const created = (await two.operations.CreateEventSourceMapping!({ FunctionName: 'worker', EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:jobs', BatchSize: 10 }, ctx)) as { UUID: string };
      const logs = () => one.logs(scope, '/aws/lambda/worker');
      const batch = await eventually(logs, (lines) => lines.some((l) => l.includes('["m1","m2"]')), 20_000);
      assert.ok(batch.some((l) => l.includes('["m1","m2"]')));

      // Disabled on the follower: the leader's pollers stop.
      await two.operations.UpdateEventSourceMapping!({ UUID: created.UUID, Enabled: false }, ctx);
      await eventually(async () => receives, () => false, 1000);
      const stopped = receives;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(receives, stopped);
    } finally {
      await one.close();
      await two.close();
      leader.cleanup();
      follower.cleanup();
    }
  });
}

/** STS's answer to Lambda's AssumeRole of an execution role, for nodes without STS. */
function fakeAssumeRole(input: unknown): unknown {
  const { RoleArn, RoleSessionName } = input as { RoleArn: string; RoleSessionName: string };
  return {
    Credentials: { AccessKeyId: `ASIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`, SecretAccessKey: randomUUID(), SessionToken: randomUUID(), Expiration: new Date(Date.now() + 3_600_000) },
    AssumedRoleUser: { AssumedRoleId: `AROAFAKE:${RoleSessionName}`, Arn: `arn:aws:sts::000000000000:assumed-role/${RoleArn.split('/').pop()}/${RoleSessionName}` },
  };
}

/** IAM's simulation allowing every action asked for (CreateEventSourceMapping's role check). */
function fakeSimulateAllowed(input: unknown): unknown {
  return { EvaluationResults: (input as { ActionNames: string[] }).ActionNames.map((EvalActionName) => ({ EvalActionName, EvalDecision: 'allowed' })) };
}
