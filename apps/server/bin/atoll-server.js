#!/usr/bin/env node
// Starts the Atoll platform (compiled by `npm install`; see tools/build.mjs).
import { main } from '../dist/src/main.js';

main().catch((error) => {
  process.stderr.write(`atoll: ${error?.stack ?? error}\n`);
  process.exit(1);
});
