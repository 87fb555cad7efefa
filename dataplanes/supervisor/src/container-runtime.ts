// Running an image as a container where Docker or Podman has a working engine: detection (`<cli> info`
// succeeds) and the `run` argv. The container runs in the foreground so the supervisor treats it as
// a process; `docker run` forwards SIGTERM to the container (sig-proxy).
import { spawnSync } from 'node:child_process';
import type { PortBinding } from './port-allocator.js';

export interface ContainerRuntime {
  cli: 'docker' | 'podman';
}

let detected: ContainerRuntime | null | undefined;

/**
 * The first of docker/podman whose engine answers `info` within 5 s, or null. Checked once per process
 * (set ATOLL_CONTAINER_RUNTIME=none to disable). A client without an engine counts as absent.
 */
export function detectContainerRuntime(): ContainerRuntime | null {
  if (detected !== undefined) return detected;
  detected = null;
  const forced = process.env.ATOLL_CONTAINER_RUNTIME;
  if (forced === 'none') return detected;
  const candidates: ContainerRuntime['cli'][] = forced === 'docker' || forced === 'podman' ? [forced] : ['docker', 'podman'];
  for (const cli of candidates) {
    const result = spawnSync(cli, ['info', '--format', '{{.ID}}'], { timeout: 5000, stdio: 'ignore' });
    if (result.status === 0) {
      detected = { cli };
      return detected;
    }
  }
  return null;
}

export interface ContainerRunSpec {
  name: string;
  image: string;
  entryPoint?: string[];
  command?: string[];
  workingDirectory?: string;
  env: Record<string, string>;
  ports: readonly PortBinding[];
  memoryLimitMiB?: number;
  cpuShares?: number;
}

/**
 * The environment of the `<cli> run` process: the container's variables (passed on by name) plus
 * what the CLI itself needs to reach its engine (PATH, HOME, DOCKER_*, CONTAINER_*, XDG_RUNTIME_DIR).
 */
export function containerCliEnvironment(containerEnv: Record<string, string>, parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { ...containerEnv };
  for (const [key, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (key === 'PATH' || key === 'HOME' || key === 'XDG_RUNTIME_DIR' || key.startsWith('DOCKER_') || key.startsWith('CONTAINER_')) env[key] ??= value;
  }
  return env;
}

/** The argv of `<cli> run` for a task container; ports publish on the binding's host address. */
export function containerRunArgv(runtime: ContainerRuntime, spec: ContainerRunSpec): string[] {
  const argv = [runtime.cli, 'run', '--rm', '--init', '--name', spec.name];
  for (const port of spec.ports) {
    argv.push('-p', `${port.bindIP}:${port.hostPort}:${port.containerPort}/${port.protocol}`);
  }
  // Names only: the values travel in the CLI's own environment (see containerCliEnvironment), so
  // that secrets do not show in the process list.
  for (const key of Object.keys(spec.env)) argv.push('-e', key);
  if (spec.workingDirectory) argv.push('-w', spec.workingDirectory);
  if (spec.memoryLimitMiB) argv.push('-m', `${spec.memoryLimitMiB}m`);
  if (spec.cpuShares) argv.push('--cpu-shares', String(Math.max(2, spec.cpuShares)));
  if (spec.entryPoint && spec.entryPoint.length > 0) {
    argv.push('--entrypoint', spec.entryPoint[0]!);
    argv.push(spec.image, ...spec.entryPoint.slice(1), ...(spec.command ?? []));
  } else {
    argv.push(spec.image, ...(spec.command ?? []));
  }
  return argv;
}
