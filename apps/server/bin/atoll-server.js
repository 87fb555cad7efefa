#!/usr/bin/env node
// Starts the Atoll platform: the bundled start-up path when the build made one (tools/bundle-server.mjs),
// else the compiled modules.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/bundle/main.js', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : new URL('../dist/src/main.js', import.meta.url).href);

main().catch((error) => {
  process.stderr.write(`atoll: ${error?.stack ?? error}\n`);
  process.exit(1);
});
