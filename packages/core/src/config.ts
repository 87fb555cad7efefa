// Atoll's configuration: command-line flags win over ATOLL_* environment variables, which win over
// the defaults. It owns parsing and validation only; nothing here opens a port or a file.
import { resolve } from 'node:path';
import { AtollError } from './errors.js';

export type AuthMode = 'strict' | 'permissive';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface AtollConfig {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  accountId: string;
  logLevel: LogLevel;
  /** `permissive` accepts any access key (the caller is still recorded); it must be asked for by name. */
  authMode: AuthMode;
  /** Serve only these services (model names); every registered service when undefined. */
  services?: string[];
  /** `postgres://…`: keep state in PostgreSQL, so that several nodes serve one account. SQLite files when absent. */
  databaseUrl?: string;
  /** Where blobs live (S3 objects, function code): a directory shared by every node. The data directory by default. */
  blobDir?: string;
  /** `s3://bucket/prefix`: blobs in an S3-compatible bucket (endpoint from ATOLL_BLOB_ENDPOINT or the AWS SDK's settings). */
  blobUrl?: string;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

interface Option {
  key: keyof AtollConfig;
  flag: string;
  env: string;
}

const OPTIONS: readonly Option[] = [
  { key: 'host', flag: '--host', env: 'ATOLL_HOST' },
  { key: 'port', flag: '--port', env: 'ATOLL_PORT' },
  { key: 'dataDir', flag: '--data-dir', env: 'ATOLL_DATA_DIR' },
  { key: 'region', flag: '--region', env: 'ATOLL_REGION' },
  { key: 'accountId', flag: '--account-id', env: 'ATOLL_ACCOUNT_ID' },
  { key: 'logLevel', flag: '--log-level', env: 'ATOLL_LOG_LEVEL' },
  { key: 'authMode', flag: '--auth', env: 'ATOLL_AUTH' },
  { key: 'services', flag: '--services', env: 'ATOLL_SERVICES' },
  { key: 'databaseUrl', flag: '--database-url', env: 'ATOLL_DATABASE_URL' },
  { key: 'blobDir', flag: '--blob-dir', env: 'ATOLL_BLOB_DIR' },
  { key: 'blobUrl', flag: '--blob-url', env: 'ATOLL_BLOB_URL' },
];

export const DEFAULT_CONFIG: AtollConfig = {
  host: '127.0.0.1',
  port: 4566,
  dataDir: '.atoll',
  region: 'us-east-1',
  accountId: '000000000000',
  logLevel: 'info',
  authMode: 'strict',
};

/** Reads flags (`--port 4566` or `--port=4566`) and environment variables into a validated config. */
export function loadConfig(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<AtollConfig> = {},
): AtollConfig {
  const raw: Record<string, string> = {};
  for (const option of OPTIONS) {
    const value = env[option.env];
    if (value !== undefined && value !== '') raw[option.key] = value;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--permissive') {
      raw.authMode = 'permissive';
      continue;
    }
    const option = OPTIONS.find((o) => o.flag === flag);
    if (!option) continue;
    const value = inline ?? argv[++i];
    if (value === undefined) throw new AtollError('CONFIG_MISSING_VALUE', `${flag} needs a value`);
    raw[option.key] = value;
  }
  const config: AtollConfig = { ...DEFAULT_CONFIG };
  if (raw.host !== undefined) config.host = raw.host;
  if (raw.port !== undefined) {
    const port = Number(raw.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new AtollError('CONFIG_INVALID_PORT', `port must be an integer from 0 to 65535, got "${raw.port}"`);
    }
    config.port = port;
  }
  if (raw.dataDir !== undefined) config.dataDir = raw.dataDir;
  if (raw.region !== undefined) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(raw.region)) {
      throw new AtollError('CONFIG_INVALID_REGION', `region must look like us-east-1, got "${raw.region}"`);
    }
    config.region = raw.region;
  }
  if (raw.accountId !== undefined) {
    if (!/^\d{12}$/.test(raw.accountId)) {
      throw new AtollError('CONFIG_INVALID_ACCOUNT', `account id must be 12 digits, got "${raw.accountId}"`);
    }
    config.accountId = raw.accountId;
  }
  if (raw.logLevel !== undefined) {
    if (!LOG_LEVELS.includes(raw.logLevel as LogLevel)) {
      throw new AtollError('CONFIG_INVALID_LOG_LEVEL', `log level must be one of ${LOG_LEVELS.join(', ')}`);
    }
    config.logLevel = raw.logLevel as LogLevel;
  }
  if (raw.authMode !== undefined) {
    if (raw.authMode !== 'strict' && raw.authMode !== 'permissive') {
      throw new AtollError('CONFIG_INVALID_AUTH', `auth mode must be "strict" or "permissive", got "${raw.authMode}"`);
    }
    config.authMode = raw.authMode;
  }
  if (raw.services !== undefined) {
    config.services = raw.services.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (raw.databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(raw.databaseUrl)) {
      throw new AtollError('CONFIG_INVALID_DATABASE_URL', 'the database URL must start with postgres:// or postgresql://');
    }
    config.databaseUrl = raw.databaseUrl;
  }
  if (raw.blobDir !== undefined) config.blobDir = raw.blobDir;
  if (raw.blobUrl !== undefined) {
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(raw.blobUrl)) {
      throw new AtollError('CONFIG_INVALID_BLOB_URL', `the blob URL must look like s3://bucket/prefix, got "${raw.blobUrl}"`);
    }
    config.blobUrl = raw.blobUrl;
  }
  Object.assign(config, overrides);
  config.dataDir = resolve(config.dataDir);
  if (config.blobDir !== undefined) config.blobDir = resolve(config.blobDir);
  return config;
}
