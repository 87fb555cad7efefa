// Bundles the console's browser app (src/ui) with esbuild into dist/assets: app.js (one ES module,
// minified), app.css (the console's styles and uPlot's) and index.html. tools/build.mjs runs it after
// the TypeScript build, so `npm install` (prepare = build) leaves the assets ready to serve.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, '..');

export async function bundleConsole() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return false;
  }
  const outdir = join(app, 'dist', 'assets');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: { app: join(app, 'src', 'ui', 'app.tsx') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir,
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(join(app, 'src', 'ui', 'index.html'), join(outdir, 'index.html'));
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleConsole();
}
