import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { containerCliEnvironment, containerRunArgv } from './container-runtime.js';

describe('container runtime', () => {
  test('builds a docker run argv that publishes the host ports and passes variables by name only', () => {
    const argv = containerRunArgv(
      { cli: 'docker' },
      {
        name: 'ecs-1-web',
        image: 'nginx:1.27',
        command: ['nginx', '-g', 'daemon off;'],
        env: { SECRET: 'hunter2', PORT: '40001' },
        ports: [{ containerPort: 80, hostPort: 40001, protocol: 'tcp', bindIP: '127.0.0.1' }],
        memoryLimitMiB: 128,
      },
    );
    assert.deepEqual(argv, [
      'docker', 'run', '--rm', '--init', '--name', 'ecs-1-web',
      '-p', '127.0.0.1:40001:80/tcp',
      '-e', 'SECRET', '-e', 'PORT',
      '-m', '128m',
      'nginx:1.27', 'nginx', '-g', 'daemon off;',
    ]);
    assert.ok(!argv.join(' ').includes('hunter2'));
  });

  test('gives the CLI the container variables and only what it needs from the parent environment', () => {
    const env = containerCliEnvironment({ SECRET: 'x' }, { PATH: '/bin', HOME: '/root', DOCKER_HOST: 'unix:///run/docker.sock', AWS_SECRET_ACCESS_KEY: 'no' });
    assert.deepEqual(env, { SECRET: 'x', PATH: '/bin', HOME: '/root', DOCKER_HOST: 'unix:///run/docker.sock' });
  });

  test('puts an entry point before the image and its arguments after it', () => {
    const argv = containerRunArgv({ cli: 'podman' }, { name: 'n', image: 'img', entryPoint: ['/bin/sh', '-c'], command: ['echo hi'], env: {}, ports: [] });
    assert.deepEqual(argv.slice(-5), ['--entrypoint', '/bin/sh', 'img', '-c', 'echo hi']);
  });
});
