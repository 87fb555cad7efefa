#!/usr/bin/env node
// The `atoll` command (compiled by `npm install`; see tools/build.mjs).
import { run } from '../dist/src/cli.js';

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`atoll: ${error?.message ?? error}\n`);
    process.exit(1);
  },
);
