import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildTaskDefinition, parseTaskDefinitionRef } from './task-definitions.js';
import { circuitBreakerThreshold } from './service-scheduler.js';

const scope = { accountId: '000000000000', region: 'us-east-1' };
const container = { name: 'web', image: 'node:20', memory: 128, command: ['node', 'server.js'], portMappings: [{ containerPort: 8080 }] };

describe('buildTaskDefinition', () => {
  test('fills in ECS defaults and the revision ARN', () => {
    const def = buildTaskDefinition({ family: 'api', containerDefinitions: [container] }, scope, 3, false, 'arn:aws:iam::000000000000:root');
    assert.equal(def.taskDefinitionArn, 'arn:aws:ecs:us-east-1:000000000000:task-definition/api:3');
    assert.equal(def.networkMode, 'bridge');
    assert.equal(def.status, 'ACTIVE');
    const c = def.containerDefinitions[0]!;
    assert.equal(c.essential, true);
    assert.equal(c.cpu, 0);
    assert.deepEqual(c.portMappings, [{ containerPort: 8080, protocol: 'tcp' }]);
    assert.deepEqual(c.environment, []);
  });

  test('sets hostPort to the container port in awsvpc mode', () => {
    const def = buildTaskDefinition({ family: 'api', networkMode: 'awsvpc', containerDefinitions: [container] }, scope, 1, false, 'x');
    assert.deepEqual(def.containerDefinitions[0]!.portMappings, [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }]);
    assert.deepEqual(def.compatibilities, ['EC2', 'FARGATE']);
  });

  test('refuses definitions ECS refuses, with ClientException', () => {
    const cases: [unknown, RegExp][] = [
      [{ family: 'bad family', containerDefinitions: [container] }, /^Family contains invalid characters/],
      [{ family: 'a', containerDefinitions: [] }, /^Container list cannot be empty\.$/],
      [{ family: 'a', containerDefinitions: [container, container] }, /^Duplicate container name: web\.$/],
      [{ family: 'a', containerDefinitions: [{ ...container, memory: undefined }] }, /At least one of 'memory' or 'memoryReservation' must be specified\.$/],
      [{ family: 'a', containerDefinitions: [{ ...container, essential: false }] }, /^A task definition must have at least one essential container\.$/],
      [{ family: 'a', containerDefinitions: [{ ...container, command: undefined }] }, /no command or entryPoint/],
      [{ family: 'a', containerDefinitions: [{ ...container, healthCheck: { command: ['CMD', 'true'], interval: 1 } }] }, /healthCheck\.interval must be between 5 and 300/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => buildTaskDefinition(input as never, scope, 1, false, 'x'),
        (e: Error & { code?: string }) => e.name === 'ClientException' && e.code === 'ClientException' && message.test(e.message),
      );
    }
  });

  test('accepts an image without a command when a container runtime is usable', () => {
    const def = buildTaskDefinition({ family: 'a', containerDefinitions: [{ ...container, command: undefined }] }, scope, 1, true, 'x');
    assert.equal(def.containerDefinitions[0]!.image, 'node:20');
  });
});

describe('parseTaskDefinitionRef', () => {
  test('reads a family, a family:revision and an ARN', () => {
    assert.deepEqual(parseTaskDefinitionRef('api'), { family: 'api' });
    assert.deepEqual(parseTaskDefinitionRef('api:7'), { family: 'api', revision: 7 });
    assert.deepEqual(parseTaskDefinitionRef('arn:aws:ecs:us-east-1:000000000000:task-definition/api:2'), { family: 'api', revision: 2 });
  });
});

describe('circuitBreakerThreshold', () => {
  test('is half the desired count, at least 3 and at most 200', () => {
    assert.deepEqual([0, 1, 6, 10, 1000].map(circuitBreakerThreshold), [3, 3, 3, 5, 200]);
  });
});
