import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { PortAllocator, PortInUseError, portEnvironment } from './port-allocator.js';

describe('PortAllocator', () => {
  test('gives each container port a distinct free host port', async () => {
    const allocator = new PortAllocator();
    const a = await allocator.allocate([{ containerPort: 80 }, { containerPort: 443 }]);
    const b = await allocator.allocate([{ containerPort: 80 }]);
    const ports = [...a, ...b].map((x) => x.hostPort);
    assert.equal(new Set(ports).size, 3);
    assert.deepEqual(a.map((x) => x.containerPort), [80, 443]);
    assert.equal(a[0]!.bindIP, '127.0.0.1');
  });

  test('refuses a fixed host port that another program listens on', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const allocator = new PortAllocator();
    await assert.rejects(allocator.allocate([{ containerPort: 80, hostPort: port }]), (e: Error) => e instanceof PortInUseError);
    server.close();
  });

  test('refuses a fixed host port it already handed out until it is released', async () => {
    const allocator = new PortAllocator();
    const [first] = await allocator.allocate([{ containerPort: 80 }]);
    await assert.rejects(allocator.allocate([{ containerPort: 80, hostPort: first!.hostPort }]), PortInUseError);
    allocator.release([first!]);
    const [again] = await allocator.allocate([{ containerPort: 80, hostPort: first!.hostPort }]);
    assert.equal(again!.hostPort, first!.hostPort);
  });

  test('describes the bindings in the environment as ATOLL_PORT_<containerPort> and PORT', () => {
    const env = portEnvironment([
      { containerPort: 8080, hostPort: 40001, protocol: 'tcp', bindIP: '127.0.0.1' },
      { containerPort: 9090, hostPort: 40002, protocol: 'tcp', bindIP: '127.0.0.1' },
    ]);
    assert.deepEqual(env, { ATOLL_PORT_8080: '40001', ATOLL_PORT_9090: '40002', PORT: '40001' });
  });
});
