// `npm start`: starts Atoll with the configuration from flags and ATOLL_* variables, prints where
// it listens (and the root key, the first time), and shuts down cleanly on SIGTERM or SIGINT.
import { AtollError, loadConfig } from '@atoll/core';
import { flushLogger } from '@atoll/telemetry';
import { startAtoll } from './platform.js';

export async function main(argv = process.argv.slice(2)): Promise<void> {
  let config;
  try {
    config = loadConfig(argv);
  } catch (error) {
    if (error instanceof AtollError) {
      process.stderr.write(`atoll: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  let stopRequested: string | undefined;
  let stop: (signal: string) => void = (signal) => {
    stopRequested = signal;
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  let atoll;
  try {
    atoll = await startAtoll(config);
  } catch (error) {
    if (error instanceof AtollError) {
      // A platform failure at start (database unreachable, schema from a newer Atoll): say it plainly.
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      process.stderr.write(`atoll: ${error.message}${cause ? ` (${cause})` : ''}\n`);
      process.exit(1);
    }
    throw error;
  }
  const lines = [
    `Atoll listening on ${atoll.endpoint} (region ${config.region}, account ${config.accountId}, data ${config.dataDir})`,
    `Services: ${atoll.services.join(', ')}`,
  ];
  if (config.authMode === 'permissive') lines.push('Auth: PERMISSIVE — any access key is accepted (callers are still recorded).');
  if (atoll.rootCredentialsCreated) {
    lines.push(
      `Created the root access key (shown once; kept in ${atoll.rootCredentialsPath}):`,
      `  AWS_ACCESS_KEY_ID=${atoll.rootCredentials.accessKeyId}`,
      `  AWS_SECRET_ACCESS_KEY=${atoll.rootCredentials.secretAccessKey}`,
    );
  }
  lines.push('Point an SDK at it: eval "$(npx atoll env)"');
  // Console sign-in link (loopback listeners only; one use, valid 10 minutes).
  const consoleLink = atoll.consoleSignInLink();
  lines.push(consoleLink ? `Web console (one-time sign-in link, 10 minutes): ${consoleLink}` : `Web console: ${atoll.endpoint}/_atoll/console/ (sign in with an access key pair)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  let stopping = false;
  stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    atoll.logger.info({ signal }, 'shutting down');
    atoll.close().then(
      () => {
        flushLogger(atoll.logger);
        process.exit(0);
      },
      (error) => {
        atoll.logger.error({ err: error }, 'shutdown failed');
        flushLogger(atoll.logger);
        process.exit(1);
      },
    );
  };
  if (stopRequested) stop(stopRequested);
}
