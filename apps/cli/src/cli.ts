// `atoll <command>`: `start` runs the platform, `env` prints the exports that point any AWS SDK or
// CLI at it (`eval "$(npx atoll env)"`). Both honour the same flags and ATOLL_* variables.
import { AtollError, loadConfig, type AtollConfig } from '@atoll/core';
import { readRootCredentials, main as startServer } from '@atoll/server';

const USAGE = `Usage: atoll <command> [flags]

Commands:
  start   Start the platform (same as npm start)
  env     Print export lines for AWS_ENDPOINT_URL, the root keys and the region

Flags (or environment variables):
  --host HOST          ATOLL_HOST        listen address (default 127.0.0.1)
  --port PORT          ATOLL_PORT        listen port (default 4566)
  --data-dir DIR       ATOLL_DATA_DIR    state directory (default ./.atoll)
  --region REGION      ATOLL_REGION      default region (default us-east-1)
  --account-id ID      ATOLL_ACCOUNT_ID  account id (default 000000000000)
  --log-level LEVEL    ATOLL_LOG_LEVEL   trace|debug|info|warn|error|fatal|silent
  --services a,b       ATOLL_SERVICES    serve only these services
  --auth permissive    ATOLL_AUTH        accept any access key (throwaway local runs only)
`;

const shellQuote = (value: string): string => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

/** The export lines for a configuration, or an error message when no root key exists yet. */
export function envLines(config: AtollConfig): string[] {
  const root = readRootCredentials(config.dataDir);
  if (!root) {
    throw new AtollError('NO_ROOT_KEY', `no root key in ${config.dataDir} yet: start Atoll once (npm start) to create it`);
  }
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  return [
    `export AWS_ENDPOINT_URL=${shellQuote(endpoint)}`,
    `export AWS_ACCESS_KEY_ID=${shellQuote(root.accessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${shellQuote(root.secretAccessKey)}`,
    `export AWS_REGION=${shellQuote(config.region)}`,
    `export AWS_DEFAULT_REGION=${shellQuote(config.region)}`,
  ];
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'env':
        process.stdout.write(`${envLines(loadConfig(rest)).join('\n')}\n`);
        return 0;
      case 'start':
        await startServer(rest);
        return await new Promise<number>(() => {});
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`atoll: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof AtollError) {
      process.stderr.write(`atoll: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
