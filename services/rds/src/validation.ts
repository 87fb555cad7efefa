// RDS's input rules: identifiers (instances, clusters, snapshots), master user names and passwords,
// DB names, with the messages RDS answers (InvalidParameterValue).
import { invalidParameterValue } from './rds-errors.js';

/** Checks an identifier and returns it in lower case, as RDS stores it. */
export function checkIdentifier(parameter: string, value: string, maxLength = 63): string {
  const valid = value.length >= 1 && value.length <= maxLength && /^[A-Za-z][A-Za-z0-9-]*$/.test(value) && !value.endsWith('-') && !value.includes('--');
  if (!valid) {
    throw invalidParameterValue(
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
  return value.toLowerCase();
}

export function checkPassword(password: string): void {
  if (password.length < 8) {
    throw invalidParameterValue('The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.');
  }
  if (password.length > 128) {
    throw invalidParameterValue('The parameter MasterUserPassword is not a valid password because it is longer than 128 characters.');
  }
  if (/[/"@\s]/.test(password)) {
    throw invalidParameterValue("The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.");
  }
}

export function checkMasterUsername(name: string, family: 'postgres' | 'mysql'): void {
  const max = family === 'mysql' ? 32 : 63;
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || name.length > max) {
    throw invalidParameterValue(
      `The parameter MasterUsername is not a valid identifier. MasterUsername must be 1 to ${max} letters, digits or underscores, and must begin with a letter.`,
    );
  }
  if (family === 'postgres' && ['postgres', 'rdsadmin', 'rdsrepladmin'].includes(name.toLowerCase()) && name.toLowerCase() !== 'postgres') {
    throw invalidParameterValue(`MasterUsername ${name} cannot be used as it is a reserved word used by the engine`);
  }
  if (family === 'mysql' && ['root', 'rdsadmin', 'mariadb.sys'].includes(name.toLowerCase())) {
    throw invalidParameterValue(`MasterUsername ${name} cannot be used as it is a reserved word used by the engine`);
  }
}

export function checkDbName(name: string, family: 'postgres' | 'mysql'): void {
  const max = family === 'mysql' ? 64 : 63;
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || name.length > max) {
    throw invalidParameterValue(`The parameter DBName is not a valid identifier. It must begin with a letter and contain only letters, digits and underscores (at most ${max}).`);
  }
}
