import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EcsStore } from './ecs-store.js';
import type { Task, TaskDefinition } from './ecs-types.js';
import { tempDir } from '@atoll/test-support';

const scope = { accountId: '000000000000', region: 'us-east-1' };
const other = { accountId: '111111111111', region: 'us-east-1' };

function def(family: string, revision: number, status: TaskDefinition['status'] = 'ACTIVE'): TaskDefinition {
  return { taskDefinitionArn: `arn:aws:ecs:us-east-1:000000000000:task-definition/${family}:${revision}`, family, revision, status, containerDefinitions: [], registeredAt: '' };
}

describe('EcsStore', () => {
  test('keeps task definitions per account and finds the latest ACTIVE revision', () => {
    const file = join(tempDir('atoll-ecs-store-'), 'ecs.db');
    const store = new EcsStore(file);
    store.putTaskDefinition(scope, def('api', 1));
    store.putTaskDefinition(scope, def('api', 2, 'INACTIVE'));
    store.putTaskDefinition(scope, def('api_x', 1));
    assert.equal(store.getTaskDefinition(scope, 'api')!.revision, 1);
    assert.equal(store.latestRevision(scope, 'api'), 2);
    assert.equal(store.getTaskDefinition(other, 'api'), undefined);
    // '_' is not a LIKE wildcard here.
    assert.deepEqual(store.listFamilies(scope, { familyPrefix: 'api_' }), ['api_x']);
    assert.deepEqual(store.listFamilies(scope, { status: 'ALL' }), ['api', 'api_x']);
    store.close();
  });

  test('survives a reopen and lists only live tasks as live', () => {
    const file = join(tempDir('atoll-ecs-store-'), 'ecs.db');
    let store = new EcsStore(file);
    const task = (id: string, lastStatus: Task['lastStatus']) =>
      ({ taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${id}`, lastStatus, containers: [], version: 1 }) as unknown as Task;
    const internal = { accountId: scope.accountId, region: scope.region, clusterName: 'default', processes: [], targets: [], logStreams: [] };
    store.putTask({ task: task('a', 'RUNNING'), internal });
    store.putTask({ task: { ...task('b', 'STOPPED'), stoppedAt: new Date(0).toISOString() }, internal });
    store.close();
    store = new EcsStore(file);
    assert.deepEqual(store.liveTasks().map((t) => t.task.taskArn.split('/').pop()), ['a']);
    assert.equal(store.purgeStoppedTasks(Date.now()), 1);
    assert.deepEqual(store.listTasks(scope, 'default').map((t) => t.task.taskArn.split('/').pop()), ['a']);
    store.close();
  });
});
