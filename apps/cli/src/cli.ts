// `atoll <command>`: `start` runs the platform, `env` prints the exports that point any AWS SDK or
// CLI at it (`eval "$(npx atoll env)"`), `reset` empties a running platform's state, and `snapshot`
// saves or loads its data directory. All honour the same flags and ATOLL_* variables.
import { AtollError, loadConfig, type AtollConfig } from '@atoll/core';
import { readRootCredentials, main as startServer } from '@atoll/server';
import { assertSnapshotSupported, loadSnapshot, saveSnapshot } from '@atoll/storage/snapshot';
import { callAdmin } from './admin-client.js';

const USAGE = `Usage: atoll <command> [flags]

Commands:
  start                 Start the platform (same as npm start)
  env                   Print export lines for AWS_ENDPOINT_URL, the root keys and the region
  reset                 Empty the running platform's state (every service, or --services a,b),
                        stopping its workloads; it keeps serving
  snapshot save FILE    Write a snapshot of the data directory (the platform may be running)
  snapshot load FILE    Replace the data directory by a snapshot (the platform must be stopped)

Flags (or environment variables):
  --host HOST          ATOLL_HOST        listen address (default 127.0.0.1)
  --port PORT          ATOLL_PORT        listen port (default 4566)
  --data-dir DIR       ATOLL_DATA_DIR    state directory (default ./.atoll)
  --region REGION      ATOLL_REGION      default region (default us-east-1)
  --account-id ID      ATOLL_ACCOUNT_ID  account id (default 000000000000)
  --log-level LEVEL    ATOLL_LOG_LEVEL   trace|debug|info|warn|error|fatal|silent
  --services a,b       ATOLL_SERVICES    serve only these services (reset: reset only these)
  --auth permissive    ATOLL_AUTH        accept any access key (throwaway local runs only)
`;

const shellQuote = (value: string): string => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

function rootKey(config: AtollConfig): { accessKeyId: string; secretAccessKey: string } {
  const root = readRootCredentials(config.dataDir);
  if (!root) {
    throw new AtollError('NO_ROOT_KEY', `no root key in ${config.dataDir} yet: start Atoll once (npm start) to create it`);
  }
  return root;
}

/** The edge's address for a configuration (a wildcard listen address is reached on loopback). */
function endpointOf(config: AtollConfig): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

/** The export lines for a configuration, or an error message when no root key exists yet. */
export function envLines(config: AtollConfig): string[] {
  const root = rootKey(config);
  const endpoint = endpointOf(config);
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
      case 'reset': {
        const config = loadConfig(rest);
        const outcome = (await callAdmin({
          endpoint: endpointOf(config),
          credentials: rootKey(config),
          region: config.region,
          method: 'POST',
          path: '/_atoll/reset',
          query: config.services ? { services: config.services.join(',') } : {},
        })) as { services: string[] };
        process.stdout.write(`Reset: ${outcome.services.join(', ')}\n`);
        return 0;
      }
      case 'snapshot': {
        const [action, file, ...flags] = rest;
        if ((action !== 'save' && action !== 'load') || !file || file.startsWith('--')) {
          process.stderr.write(`atoll: snapshot needs save FILE or load FILE\n\n${USAGE}`);
          return 2;
        }
        const config = loadConfig(flags);
        if (action === 'save') {
          const saved = await saveSnapshot(config, file);
          process.stdout.write(`Saved ${config.dataDir} to ${file} (${saved.databases} databases, ${saved.files} files)\n`);
        } else {
          assertSnapshotSupported(config);
          const loaded = await loadSnapshot(config.dataDir, file);
          process.stdout.write(`Loaded ${file} into ${config.dataDir} (${loaded.files} files)\n`);
        }
        return 0;
      }
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
