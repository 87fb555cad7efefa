// Bundles the server's start-up path (the edge, the platform core, IAM and STS, pino) into one
// ES module with esbuild, so that `npm start` loads a handful of files instead of hundreds; Node's
// module loading dominated start-up. Services load lazily from their own packages, as do the
// libraries they use. Without the bundle (esbuild absent), bin/atoll-server.js runs dist/src.
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { root } from './workspaces.mjs';

/** Bare imports bundled; every other package stays an ordinary import from node_modules. */
const BUNDLED = new Set([
  '@atoll/core', '@atoll/aws-models', '@atoll/aws-protocol', '@atoll/auth', '@atoll/telemetry', '@atoll/iam', '@atoll/sts',
  'pino', 'fast-xml-parser', 'strnum', 'pino-std-serializers', 'sonic-boom', 'atomic-sleep', 'on-exit-leak-free',
  'quick-format-unescaped', 'safe-stable-stringify', 'process-warning', '@pinojs/redact', 'fast-redact', 'real-require',
  'pino-abstract-transport', 'split2',
]);

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
    outdir,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __atollCreateRequire } from 'node:module'; const require = __atollCreateRequire(import.meta.url);" },
    plugins: [
      {
        name: 'startup-path-only',
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            if (args.path.startsWith('node:')) return { external: true };
            return BUNDLED.has(packageName(args.path)) ? undefined : { external: true };
          });
        },
      },
    ],
  });
  return true;
}
