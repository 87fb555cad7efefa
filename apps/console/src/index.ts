// @atoll/console: the web console's browser app (src/ui, bundled by scripts/bundle.mjs at build time
// into dist/assets) and, for the server, where those assets are.
import { fileURLToPath } from 'node:url';

/** The folder holding index.html, app.js and app.css once built. */
export function consoleAssetsDir(): string {
  return fileURLToPath(new URL('../assets/', import.meta.url));
}
