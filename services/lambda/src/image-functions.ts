// Container image functions (PackageType Image): the image URI's form, the image's existence in the
// platform's ECR (asked through ECR's public DescribeImages), the ImageConfig shapes Lambda returns,
// and how such a function runs. It runs through Docker or Podman when an engine answers: its "code"
// is then a generated `bootstrap` (a provided runtime launcher) that `exec`s `<cli> run` on the host
// network, so the container's runtime interface client reaches the execution environment's Runtime
// API at AWS_LAMBDA_RUNTIME_API. Without an engine the function is Failed (InvalidImage) and Invoke
// answers as Lambda does for a Failed function.
import { execFile } from 'node:child_process';
import AdmZip from 'adm-zip';
import type { PlatformContext } from '@atoll/core';
import type { FunctionConfiguration } from './lambda-records.js';
import { LambdaErrors } from './lambda-errors.js';
import type { Scope } from './function-names.js';

/** ImageConfig as CreateFunction takes it and ImageConfigResponse.ImageConfig returns it. */
export interface ImageConfig {
  EntryPoint?: string[];
  Command?: string[];
  WorkingDirectory?: string;
}

export interface ImageReference {
  registryId: string;
  region: string;
  /** `<account>.dkr.ecr.<region>.localhost:<port>` or `….amazonaws.com`. */
  host: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** An image found in ECR: the URI as given, and the digest form (ResolvedImageUri). */
export interface ResolvedImage {
  imageUri: string;
  resolvedImageUri: string;
  /** `sha256:<hex>`. */
  digest: string;
  ref: ImageReference;
}

const IMAGE_URI =
  /^((\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:localhost(?::\d{1,5})?|amazonaws\.com(?:\.cn)?))\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(sha256:[a-f0-9]{64}))$/;

/** Parses `<account>.dkr.ecr.<region>.(localhost:<port>|amazonaws.com)/<repo>(:<tag>|@sha256:<hex>)`. */
export function parseImageUri(uri: string): ImageReference | undefined {
  const m = IMAGE_URI.exec(uri);
  if (!m) return undefined;
  return { host: m[1]!, registryId: m[2]!, region: m[3]!, repository: m[4]!, ...(m[5] ? { tag: m[5] } : {}), ...(m[6] ? { digest: m[6] } : {}) };
}

const notValid = (uri: string) => LambdaErrors.invalidParameter(`Source image ${uri} is not valid. Provide a valid source image.`);
const notFound = (uri: string) => LambdaErrors.invalidParameter(`Source image ${uri} does not exist. Provide a valid source image.`);

/** Checks an ImageUri and finds its image in the platform's ECR (same region as the function, as Lambda requires). */
export async function resolveImage(platform: PlatformContext, scope: Scope, uri: unknown): Promise<ResolvedImage> {
  if (typeof uri !== 'string') throw notValid(String(uri));
  const ref = parseImageUri(uri);
  if (!ref || ref.region !== scope.region) throw notValid(uri);
  let details: { imageDetails?: { imageDigest?: string }[] };
  try {
    details = await platform.call(
      'ecr',
      'DescribeImages',
      { registryId: ref.registryId, repositoryName: ref.repository, imageIds: [ref.digest ? { imageDigest: ref.digest } : { imageTag: ref.tag }] },
      { accountId: scope.account, region: scope.region },
    );
  } catch {
    // RepositoryNotFoundException, ImageNotFoundException, or ECR not served on this platform.
    throw notFound(uri);
  }
  const digest = details.imageDetails?.[0]?.imageDigest;
  if (!digest) throw notFound(uri);
  return { imageUri: uri, resolvedImageUri: `${ref.host}/${ref.repository}@${digest}`, digest, ref };
}

/** The ImageConfig to store (only the members given), or undefined when none is. */
export function checkImageConfig(config: unknown): ImageConfig | undefined {
  if (config === undefined || config === null) return undefined;
  const c = config as ImageConfig;
  const out: ImageConfig = {};
  const list = (name: 'EntryPoint' | 'Command', value: unknown) => {
    if (value === undefined) return;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string') || value.length > 1500) {
      throw LambdaErrors.invalidParameter(`ImageConfig.${name} must be a list of at most 1500 strings.`);
    }
    out[name] = [...value];
  };
  list('EntryPoint', c.EntryPoint);
  list('Command', c.Command);
  if (c.WorkingDirectory !== undefined) {
    if (typeof c.WorkingDirectory !== 'string' || c.WorkingDirectory.length > 1000) throw LambdaErrors.invalidParameter('ImageConfig.WorkingDirectory must be a string of at most 1000 characters.');
    out.WorkingDirectory = c.WorkingDirectory;
  }
  return out;
}

export type ContainerEngine = 'docker' | 'podman';

let engine: Promise<ContainerEngine | null> | undefined;

/**
 * The first of docker/podman whose engine answers `info` within 5 s (a client without an engine
 * counts as absent), checked once per process; ATOLL_CONTAINER_RUNTIME=none|docker|podman forces it.
 */
export function containerEngine(): Promise<ContainerEngine | null> {
  engine ??= (async () => {
    const forced = process.env.ATOLL_CONTAINER_RUNTIME;
    if (forced === 'none') return null;
    const candidates: ContainerEngine[] = forced === 'docker' || forced === 'podman' ? [forced] : ['docker', 'podman'];
    for (const cli of candidates) {
      const ok = await new Promise<boolean>((resolve) => {
        execFile(cli, ['info', '--format', '{{.ID}}'], { timeout: 5000 }, (error) => resolve(!error));
      });
      if (ok) return cli;
    }
    return null;
  })();
  return engine;
}

/** The State members of an image function: Active with an engine, Failed (InvalidImage) without. */
export function imageState(cli: ContainerEngine | null): Pick<FunctionConfiguration, 'State' | 'StateReason' | 'StateReasonCode'> {
  if (cli) return { State: 'Active' };
  return {
    State: 'Failed',
    StateReasonCode: 'InvalidImage',
    StateReason: 'The function image cannot be run: no container engine (Docker or Podman) answers on this machine.',
  };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The launcher package of an image function: a `bootstrap` that runs the image in the foreground
 * with the environment's variables (names only on the command line; values are inherited), on the
 * host network so that 127.0.0.1 (the Runtime API, the platform's endpoint) is the host's.
 * `pullReference` must name a registry the engine can pull from (the platform's own registry host).
 */
export function launcherPackage(cli: ContainerEngine, pullReference: string, config: ImageConfig | undefined): Buffer {
  const image: string[] = [];
  let entry = '';
  if (config?.EntryPoint && config.EntryPoint.length > 0) {
    entry = `--entrypoint ${quote(config.EntryPoint[0]!)} `;
    image.push(...config.EntryPoint.slice(1));
  }
  image.push(...(config?.Command ?? []));
  const script = [
    '#!/bin/sh',
    '# Generated by Atoll for a container image function: runs the image with this environment.',
    'set --',
    `for name in $(env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p'); do`,
    '  case "$name" in',
    '    PATH|HOME|PWD|OLDPWD|SHLVL|_|TMPDIR|LANG|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|NODE_PATH|LD_LIBRARY_PATH|DOCKER_*|CONTAINER_*|XDG_*) ;;',
    '    *) set -- "$@" -e "$name" ;;',
    '  esac',
    'done',
    `exec ${cli} run --rm -i --network host -m "\${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-128}m" "$@" ${config?.WorkingDirectory ? `-w ${quote(config.WorkingDirectory)} ` : ''}${entry}${quote(pullReference)}${image.map((a) => ` ${quote(a)}`).join('')}`,
    '',
  ].join('\n');
  const zip = new AdmZip();
  zip.addFile('bootstrap', Buffer.from(script), '', 0o755);
  return zip.toBuffer();
}

/** What an image function's version stores: the launcher (when an engine answers), the image and its state. */
export interface ImageCode {
  /** The launcher package's code key; '' when no engine answers (nothing can run). */
  codeKey: string;
  image: { uri: string; resolvedUri: string };
  fields: Pick<FunctionConfiguration, 'CodeSha256' | 'CodeSize' | 'State' | 'StateReason' | 'StateReasonCode'> & { ImageConfigResponse?: { ImageConfig: ImageConfig } };
}

/** Resolves an image function's source and prepares how it runs (CreateFunction, UpdateFunctionCode). */
export async function imageCode(
  platform: PlatformContext,
  code: { put(zip: Buffer): Promise<{ codeKey: string }> },
  scope: Scope,
  uri: unknown,
  config: ImageConfig | undefined,
): Promise<ImageCode> {
  const resolved = await resolveImage(platform, scope, uri);
  const cli = await containerEngine();
  let codeKey = '';
  if (cli) {
    const port = new URL(platform.endpoint()).port;
    const host = `${resolved.ref.registryId}.dkr.ecr.${resolved.ref.region}.localhost${port ? `:${port}` : ''}`;
    codeKey = (await code.put(launcherPackage(cli, `${host}/${resolved.ref.repository}@${resolved.digest}`, config))).codeKey;
  }
  return {
    codeKey,
    image: { uri: resolved.imageUri, resolvedUri: resolved.resolvedImageUri },
    fields: {
      // Lambda reports an image function's CodeSha256 as the image digest's hex and its CodeSize as 0.
      CodeSha256: resolved.digest.replace(/^sha256:/, ''),
      CodeSize: 0,
      ...imageState(cli),
      ...(config && Object.keys(config).length > 0 ? { ImageConfigResponse: { ImageConfig: config } } : {}),
    },
  };
}
