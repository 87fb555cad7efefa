// Input checks shared by the operations: identifiers (ElastiCache's rules; ids are kept lower-case,
// as AWS does), engines and versions against the installed servers, AUTH tokens.
import type { EngineName } from './cache-records.js';
import { ENGINE_PACKAGES, findEngineBinary, reportedVersion, type EngineBinary } from './engine-binary.js';
import { invalidCombination, invalidValue } from './elasticache-errors.js';

const IDENTIFIER = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*$/;

/** A cluster, replication group or snapshot identifier, lower-cased. */
export function checkIdentifier(parameter: string, value: string, maxLength: number): string {
  if (!value || value.length > maxLength || !IDENTIFIER.test(value) || value.endsWith('-')) {
    throw invalidValue(
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
  return value.toLowerCase();
}

export function checkEngine(engine: string | undefined): EngineName {
  const name = (engine ?? 'redis').toLowerCase();
  if (name === 'redis' || name === 'valkey') return name;
  if (name === 'memcached') throw invalidValue('Engine memcached is not supported by this endpoint: only redis and valkey are.');
  throw invalidValue(`Invalid engine name: ${engine}`);
}

/**
 * The installed server for an engine and requested version. Without a server the call is refused
 * with the Debian package to install; a major version that is not installed is refused as AWS refuses
 * an unknown version.
 */
export function resolveEngine(engine: EngineName, engineVersion: string | undefined): { binary: EngineBinary; version: string } {
  const binary = findEngineBinary(engine);
  if (!binary) {
    throw invalidCombination(`No ${engine} server is installed on this host: install the Debian package ${ENGINE_PACKAGES[engine]} (it provides ${ENGINE_PACKAGES[engine]} on PATH).`);
  }
  if (engineVersion !== undefined && engineVersion !== '') {
    const parts = engineVersion.split('.');
    const major = Number(parts[0]);
    const installed = binary.version.split('.');
    const minorOk = parts.length < 2 || parts[1] === 'x' || parts[1] === installed[1];
    if (!Number.isInteger(major) || major !== binary.major || !minorOk) {
      throw invalidCombination(`Cannot find version ${engineVersion} for ${engine}`);
    }
  }
  return { binary, version: reportedVersion(binary) };
}

/** ElastiCache's AUTH token rules: 16–128 printable characters, no spaces, `"`, `/` or `@`. */
export function checkAuthToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (token.length < 16 || token.length > 128 || !/^[\x21-\x7e]+$/.test(token) || /["/@]/.test(token)) {
    throw invalidValue('Invalid AuthToken provided.');
  }
  return token;
}
