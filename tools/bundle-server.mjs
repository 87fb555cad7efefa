// Bundles the server's start-up path (the edge, the platform core, IAM and STS, pino) into one
// ES module with esbuild, so that `npm start` loads a handful of files instead of hundreds; Node's
// module loading dominated start-up. Services load lazily from their own packages, as do the
// libraries they use. Without the bundle (esbuild absent), bin/atoll-server.js runs dist/src.
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { root } from './workspaces.mjs';

/**
 * Bare imports left to node_modules: native code, libraries loaded only after start-up, and the
 * services and data planes (activated lazily). Everything else on the start-up path is bundled.
 */
const EXTERNAL = new Set([
  'better-sqlite3', 'prom-client', 'thread-stream', 'adm-zip', 'esbuild',
  '@atoll/storage', '@atoll/sqs', '@atoll/sns', '@atoll/s3', '@atoll/dynamodb', '@atoll/lambda', '@atoll/ecs', '@atoll/elbv2',
  '@atoll/function-runtime', '@atoll/supervisor', '@atoll/http-proxy', '@atoll/tcp-proxy', '@atoll/test-support',
]);
const EXTERNAL_SCOPES = ['@aws-sdk/', '@smithy/', '@aws-crypto/', '@opentelemetry/', '@electric-sql/'];

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export async function bundleServer() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return false;
  }
  const outdir = join(root, 'apps/server/dist/bundle');
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(root, 'apps/server/dist/src/main.js')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    splitting: true,
    // Whitespace and syntax only: names stay readable in stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    outdir,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __atollCreateRequire } from 'node:module'; const require = __atollCreateRequire(import.meta.url);" },
    plugins: [
      {
        name: 'startup-path-only',
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            if (args.path.startsWith('node:')) return { external: true };
            const name = packageName(args.path);
            const external = EXTERNAL.has(name) || EXTERNAL_SCOPES.some((scope) => name.startsWith(scope));
            return external ? { external: true } : undefined;
          });
        },
      },
    ],
  });
  return true;
}
